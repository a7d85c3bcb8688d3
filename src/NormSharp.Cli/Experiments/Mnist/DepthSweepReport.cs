using NormSharp.Cli.Reporting;

namespace NormSharp.Cli.Experiments;

/// <summary>The figures and the Markdown section of <see cref="DepthSweepExperiment"/>.</summary>
internal static class DepthSweepReport
{
    public static void Write(ExperimentReporter reporter, string name, List<MlpRunResult> results, int[] depths,
        int trainCount, int testCount, int steps, bool quick)
    {
        double[] xs = [.. depths.Select(d => (double)d)];
        MlpRunResult Find(string activation, int variant, int depth) => results.Single(r =>
            r.Spec.Activation == activation && r.Spec.Hidden.Count == depth && Matches(r.Spec, DepthSweepExperiment.Variants[variant]));
        double EvalSteps(string a, int v, double d) => Find(a, v, (int)d).StepsToTarget;
        string notReached = $"not reached in {steps} steps";

        // 1. The seed's figure: steps to 90 % (eval mode) against depth, ReLU/sigmoid × no BN/BN (Keras defaults).
        var main = new List<Series>();
        foreach (string a in DepthSweepExperiment.Activations)
        {
            main.Add(MlpSeries.ByX($"{a}, no BN", xs, d => EvalSteps(a, 0, d), notReached, dashed: true));
            main.Add(MlpSeries.ByX($"{a}, BN", xs, d => EvalSteps(a, 1, d), notReached));
        }
        reporter.SavePng("steps_to_90.png", Charts.Line("Steps to 90% MNIST test accuracy vs depth (Adam, batch 500)",
            "hidden layers", "training steps to 90% test accuracy (eval mode)", main, legendBelow: true).IntegerTicksX());

        // 2. Per activation: what the eval-mode number hides (batch statistics, recalibration, faster average).
        foreach (string a in DepthSweepExperiment.Activations)
        {
            var lines = new List<Series>
            {
                MlpSeries.ByX("no BN", xs, d => EvalSteps(a, 0, d), notReached, dashed: true),
                MlpSeries.ByX("BN Keras 0.99: eval mode (running averages)", xs, d => EvalSteps(a, 1, d), notReached),
                MlpSeries.ByX("BN Keras 0.99: batch statistics", xs, d => DepthSweepExperiment.StepsTo(Find(a, 1, (int)d), p => p.BatchStatAccuracy), notReached),
                MlpSeries.ByX("BN Keras 0.99: precise-BN recalibrated", xs, d => DepthSweepExperiment.StepsTo(Find(a, 1, (int)d), p => p.RecalibratedAccuracy), notReached, dashed: true),
                MlpSeries.ByX("BN PyTorch 0.1: eval mode", xs, d => EvalSteps(a, 2, d), notReached, dashed: true),
            };
            reporter.SavePng($"steps_to_90_bn_{a}.png", Charts.Line($"{a}: steps to 90% by how BN's accuracy is measured",
                "hidden layers", "training steps to 90% test accuracy", lines, legendBelow: true).IntegerTicksX());
        }

        // 3. Wall time to 90 % and time per step.
        var seconds = new List<Series>();
        var perStep = new List<Series>();
        foreach (string a in DepthSweepExperiment.Activations)
        {
            seconds.Add(MlpSeries.ByX($"{a}, no BN", xs, d => Find(a, 0, (int)d).SecondsToTarget, notReached, dashed: true));
            seconds.Add(MlpSeries.ByX($"{a}, BN", xs, d => Find(a, 1, (int)d).SecondsToTarget, notReached));
            perStep.Add(MlpSeries.ByX($"{a}, no BN", xs, d => Find(a, 0, (int)d).MsPerStep, "no steps", dashed: true));
            perStep.Add(MlpSeries.ByX($"{a}, BN", xs, d => Find(a, 1, (int)d).MsPerStep, "no steps"));
        }
        reporter.SavePng("seconds_to_90.png", Charts.Line("Training seconds to 90% test accuracy vs depth (measurements excluded)",
            "hidden layers", "seconds to 90% test accuracy", seconds, legendBelow: true).IntegerTicksX());
        reporter.SavePng("ms_per_step.png", Charts.Line("Time per training step vs depth (batch 500, 2 cores shared)",
            "hidden layers", "milliseconds per step", perStep, legend: ScottPlot.Alignment.UpperLeft).IntegerTicksX());

        // 4. The deepest nets' accuracy curves, and the running-average lag in them.
        int deepest = depths[^1];
        var curves = new List<Series>();
        foreach (string a in DepthSweepExperiment.Activations)
        {
            curves.Add(MlpSeries.Curve($"{a}, no BN", Find(a, 0, deepest), p => p.EvalAccuracy, dashed: true));
            curves.Add(MlpSeries.Curve($"{a}, BN", Find(a, 1, deepest), p => p.EvalAccuracy));
        }
        reporter.SavePng("curves_7layer.png", Charts.Line($"{deepest} hidden layers: MNIST test accuracy during training (eval mode)",
            "training step (batch 500)", "test accuracy", curves, legend: ScottPlot.Alignment.LowerRight, yRange: (0, 1)));
        foreach (string a in DepthSweepExperiment.Activations)
        {
            var keras = Find(a, 1, deepest);
            var torch = Find(a, 2, deepest);
            var lag = new List<Series>
            {
                MlpSeries.Curve("BN Keras 0.99: eval mode (running averages)", keras, p => p.EvalAccuracy),
                MlpSeries.Curve("BN Keras 0.99: batch statistics", keras, p => p.BatchStatAccuracy),
                MlpSeries.Curve("BN Keras 0.99: precise-BN recalibrated", keras, p => p.RecalibratedAccuracy, dashed: true),
                MlpSeries.Curve("BN PyTorch 0.1: eval mode", torch, p => p.EvalAccuracy),
                MlpSeries.Curve("no BN", Find(a, 0, deepest), p => p.EvalAccuracy, dashed: true),
            };
            reporter.SavePng($"lag_7layer_{a}.png", Charts.Line($"{a}, {deepest} hidden layers: BN test accuracy measured three ways",
                "training step (batch 500)", "test accuracy", lag, yRange: (0, 1), legendBelow: true));
        }

        Describe(reporter, name, results, depths, Find, trainCount, testCount, steps, quick);
    }

    private static bool Matches(MlpRunSpec spec, (bool BatchNorm, float Momentum, float Eps) variant) =>
        spec.BatchNorm == variant.BatchNorm && (!variant.BatchNorm || (spec.Momentum == variant.Momentum && spec.Eps == variant.Eps));

    private static void Describe(ExperimentReporter reporter, string name, List<MlpRunResult> results, int[] depths,
        Func<string, int, int, MlpRunResult> find, int trainCount, int testCount, int steps, bool quick)
    {
        var section = new MarkdownSection("depth-sweep — steps to 90% test accuracy vs depth (seed 000)");
        var spec0 = results[0].Spec;
        string schedule = spec0.DenseEvaluationUntil >= steps ? "test accuracy every 10 steps"
            : $"test accuracy every 10 steps up to step {spec0.DenseEvaluationUntil}, every {spec0.SparseEvaluateEvery} after";
        section.Paragraph(
            $"Seed 000 trains MNIST MLPs whose hidden layers are the first 1…7 of 500, 400, 300, 200, 100, 50, 25 units, ReLU or sigmoid, " +
            "with and without BN before each activation, by Adam at batch 500, and plots the training steps needed to reach 90% test accuracy. " +
            $"Here: {trainCount:N0} training and {testCount:N0} test images (pixels in [0, 1]), Adam lr 0.001 (TF's default; the seed does not print its value), " +
            $"{schedule}, at most {steps} steps (the seed's `--num_steps 1000`), the same initial weights with and without BN " +
            "(PyTorch's Linear init; the Dense before BN keeps its bias, as Keras's does). The seed also puts BN on the logits; here the output layer is a plain Dense. " +
            (quick ? "**Quick mode**: fewer depths, a subset of MNIST and a short budget — the figures show the code path, not the seed's numbers. " : "") +
            "BN runs twice: with Keras's defaults (the seed's `BatchNormalization()`: momentum 0.99 — PyTorch 0.01 — and ε 1e-3) and with PyTorch's (0.1, 1e-5).");
        section.Figure("steps_to_90.png", "steps to 90% vs depth",
            "The seed's figure. Eval-mode test accuracy (running statistics, as `tf.estimator` evaluates); a missing point means 90% was not reached within the budget (named in the legend).");
        section.Figure("curves_7layer.png", "7-layer accuracy curves", "Test accuracy of the deepest nets over training, the seed's second figure, in eval mode with the seed's Keras BN (momentum 0.99): the BN curves start late because of the running-average lag explained below, not because the BN nets learn late.");

        var header = new List<string> { "activation", "BN", "measured" };
        header.AddRange(depths.Select(d => $"depth {d}"));
        var rows = new List<IReadOnlyList<string>>();
        string[] variantNames = ["no BN", "BN Keras (0.99, 1e-3)", "BN PyTorch (0.1, 1e-5)"];
        foreach (string a in DepthSweepExperiment.Activations)
            for (int v = 0; v < 3; v++)
            {
                rows.Add([a, variantNames[v], "eval mode", .. depths.Select(d => MlpSeries.Steps(find(a, v, d).StepsToTarget))]);
                if (v == 0) continue;
                rows.Add([a, variantNames[v], "batch statistics", .. depths.Select(d => MlpSeries.Steps(DepthSweepExperiment.StepsTo(find(a, v, d), p => p.BatchStatAccuracy)))]);
                rows.Add([a, variantNames[v], "recalibrated", .. depths.Select(d => MlpSeries.Steps(DepthSweepExperiment.StepsTo(find(a, v, d), p => p.RecalibratedAccuracy)))]);
            }
        section.Paragraph($"Steps to 90% test accuracy (— : not reached in {steps} steps):");
        section.Table(header, rows);

        section.Paragraph(
            $"**Why three BN measurements.** In eval mode BN normalises with its running averages, updated after every step as " +
            "`running = (1 − m)·running + m·batch`. With Keras's m = 0.01 (momentum 0.99) the initial values (mean 0, variance 1) still weigh " +
            "0.99ᵗ after t steps — 37% after 100 steps, 5% after 300 — and the batches they average came from older weights; with PyTorch's m = 0.1 " +
            "the weight is 0.9ᵗ (0.003% after 100 steps). Early in training the eval-mode network is therefore not the network being trained, and " +
            "its test accuracy lags. *Batch statistics* evaluates the network as it trains (train-mode BN on test batches of 500); *recalibrated* " +
            $"replaces the running averages by precise-BN population statistics of {spec0.RecalibrationBatches} training batches of 500 (`PreciseBatchNorm.Recalibrate`) before an " +
            "eval-mode pass; the training run itself keeps its own averages. When batch-statistics and recalibrated accuracies agree and the " +
            "eval-mode one trails them, the gap is the moving average's lag, not the network.");
        foreach (string a in DepthSweepExperiment.Activations)
            section.Figure($"lag_7layer_{a}.png", $"BN lag, {a}", $"{a}, deepest net: eval-mode accuracy with Keras's slow average against batch statistics, precise-BN recalibration and PyTorch's faster average.");
        foreach (string a in DepthSweepExperiment.Activations)
            section.Figure($"steps_to_90_bn_{a}.png", $"steps to 90% by BN measurement, {a}", $"{a}: steps to 90% per depth for each way of measuring the BN net (lines that coincide are drawn over each other; the table above has every value).");

        section.Figure("seconds_to_90.png", "seconds to 90%", "Training wall time to 90% (measurement passes excluded).");
        section.Figure("ms_per_step.png", "ms per step", "Milliseconds per training step. BN adds a statistics pass, a normalising pass and their backward per hidden layer — the seed's remark that BN makes each step slower.");
        var timeRows = new List<IReadOnlyList<string>>();
        foreach (string a in DepthSweepExperiment.Activations)
            foreach (int d in depths)
            {
                var plain = find(a, 0, d);
                var bn = find(a, 1, d);
                timeRows.Add([a, $"{d}", MlpSeries.Number(plain.MsPerStep), MlpSeries.Number(bn.MsPerStep),
                    MlpSeries.Number(100 * (bn.MsPerStep / plain.MsPerStep - 1), "+0;-0;0") + "%",
                    MlpSeries.Number(plain.SecondsToTarget, "0.0"), MlpSeries.Number(bn.SecondsToTarget, "0.0")]);
            }
        section.Paragraph("Time per step and wall time to 90% (eval mode, Keras BN). Several engineers share the machine's two cores, so single timings are noisy; the ratios over depths are the robust part.");
        section.Table(["activation", "depth", "ms/step no BN", "ms/step BN", "BN overhead", "s to 90% no BN", "s to 90% BN"], timeRows);

        Verdicts(section, depths, find, steps, quick);
        section.DataLink("steps_to_90.csv", "steps and seconds to 90% per run (eval mode, batch statistics, recalibrated), final accuracy, ms/step");
        section.DataLink("curves.csv", "every measurement point of every run");
        reporter.WriteSection(name, section);
    }

    /// <summary>The seed's claims, each checked against the numbers of this run.</summary>
    private static void Verdicts(MarkdownSection section, int[] depths, Func<string, int, int, MlpRunResult> find, int steps, bool quick)
    {
        int first = depths[0], last = depths[^1];
        double Best(MlpRunResult r) => Math.Min(r.StepsToTarget, Math.Min(DepthSweepExperiment.StepsTo(r, p => p.BatchStatAccuracy), DepthSweepExperiment.StepsTo(r, p => p.RecalibratedAccuracy)));
        string Verdict(bool holds) => holds ? "✔ holds here" : "✘ does not hold here";
        double Or(double steps0) => double.IsNaN(steps0) ? double.PositiveInfinity : steps0;
        var claims = new List<string>();
        foreach (string a in DepthSweepExperiment.Activations)
        {
            var bnSteps = depths.Select(d => Or(DepthSweepExperiment.StepsTo(find(a, 1, d), p => p.BatchStatAccuracy))).ToArray();
            bool flat = bnSteps.All(double.IsFinite) && bnSteps.Max() <= 2 * bnSteps.Min() + 10;
            claims.Add($"- *With BN the steps to 90% stay almost constant with depth* ({a}, measured with batch statistics): " +
                       $"{string.Join(", ", bnSteps.Select(s => MlpSeries.Steps(double.IsFinite(s) ? s : double.NaN)))} steps at depths {string.Join(", ", depths)} — {Verdict(flat)}.");
            double plainFirst = Or(find(a, 0, first).StepsToTarget), plainLast = Or(find(a, 0, last).StepsToTarget);
            claims.Add($"- *Without BN the steps grow with depth* ({a}): {MlpSeries.Steps(find(a, 0, first).StepsToTarget)} at depth {first}, " +
                       $"{MlpSeries.Steps(find(a, 0, last).StepsToTarget)} at depth {last} (— : not within {steps}) — {Verdict(plainLast > plainFirst)}.");
        }
        double sigmoidPlain = Or(find("sigmoid", 0, last).StepsToTarget), sigmoidBn = Or(Best(find("sigmoid", 1, last))), reluBn = Or(Best(find("relu", 1, last)));
        claims.Add($"- *The {last}-layer sigmoid net trains far slower without BN, and with BN about as fast as ReLU*: sigmoid {MlpSeries.Steps(find("sigmoid", 0, last).StepsToTarget)} steps without BN, " +
                   $"{MlpSeries.Steps(double.IsFinite(sigmoidBn) ? sigmoidBn : double.NaN)} with BN, ReLU with BN {MlpSeries.Steps(double.IsFinite(reluBn) ? reluBn : double.NaN)} (best BN measurement) — " +
                   $"{Verdict(sigmoidPlain > 2 * sigmoidBn && sigmoidBn <= 2 * reluBn + 10)}.");
        var plain7 = find("relu", 0, last);
        var bn7 = find("relu", 1, last);
        claims.Add($"- *BN makes each step slower*: judged by `bn-step-time`, which times both variants in interleaved rounds; the single runs here " +
                   $"give {MlpSeries.Number(bn7.MsPerStep)} ms/step with BN and {MlpSeries.Number(plain7.MsPerStep)} without (ReLU, depth {last}), but each run meets a different machine load.");
        section.Paragraph("How this compares with the seed's claims:\n\n" + string.Join("\n", claims));

        string Steps(double v) => MlpSeries.Steps(double.IsFinite(v) ? v : double.NaN);
        var reluBnSteps = depths.Select(d => Or(DepthSweepExperiment.StepsTo(find("relu", 1, d), p => p.BatchStatAccuracy))).ToArray();
        bool reluFlat = reluBnSteps.All(double.IsFinite) && reluBnSteps.Max() <= 2 * reluBnSteps.Min() + 10;
        section.Summarize(
            $"steps to 90% at depth {first}→{last}: ReLU no BN {Steps(Or(find("relu", 0, first).StepsToTarget))}→{Steps(Or(find("relu", 0, last).StepsToTarget))}, " +
            $"ReLU BN (batch statistics) {Steps(reluBnSteps.Min())}–{Steps(reluBnSteps.Max())}; sigmoid no BN {Steps(sigmoidPlain)} vs BN {Steps(sigmoidBn)} at depth {last}",
            "with BN the steps to 90% stay nearly flat with depth; sigmoid without BN is far slower",
            (quick ? "quick run: " : "") + $"{(reluFlat ? "✔" : "✘")} BN flat, " +
            (double.IsFinite(sigmoidBn) ? $"{(sigmoidPlain > 2 * sigmoidBn ? "✔" : "✘")} sigmoid far slower without BN" : "sigmoid: neither variant reached 90% in this budget") +
            " (eval mode with Keras's momentum lags: see section)");
    }
}
