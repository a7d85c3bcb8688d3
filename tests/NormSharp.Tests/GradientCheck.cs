using NormSharp.Layers;

namespace NormSharp.Tests;

/// <summary>
/// Finite-difference checks of hand-derived backward passes. The scalar under test is
/// L = Σ forward(x) ⊙ R for a fixed random R, so dL/d(output) = R; every input element and every
/// parameter element is compared with the central difference (L(θ+h) − L(θ−h)) / 2h computed in double.
/// </summary>
public static class GradientCheck
{
    /// <summary>Random tensor with entries uniform in [-1, 1) (or the given range).</summary>
    public static Tensor Random(Rng rng, int[] shape, float low = -1f, float high = 1f)
    {
        var t = new Tensor(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = rng.NextUniform(low, high);
        return t;
    }

    /// <summary>
    /// Checks dL/dx and dL/dθ of <paramref name="module"/> at <paramref name="input"/>. The module is used in
    /// its current mode; stochastic layers must be reseeded by <paramref name="beforeForward"/> so every
    /// forward pass draws the same numbers.
    /// </summary>
    public static void Check(Module module, Tensor input, double rtol = 2e-2, double atol = 2e-3, double h = 1e-2,
        Action? beforeForward = null, int seed = 7, bool checkInput = true, int maxChecksPerTensor = 200)
    {
        var rng = new Rng((ulong)seed);
        beforeForward?.Invoke();
        var output = module.Forward(input);
        var r = Random(rng, output.Shape);

        module.ZeroGrad();
        var gradInput = module.Backward(r.Clone()).Clone();
        var paramGrads = module.NamedParameters().Select(p => (p.Name, p.Parameter, Grad: p.Parameter.Grad.Clone())).ToList();

        double Loss()
        {
            beforeForward?.Invoke();
            var y = module.Forward(input).Span;
            var rs = r.Span;
            double sum = 0;
            for (int i = 0; i < y.Length; i++) sum += (double)y[i] * rs[i];
            return sum;
        }

        if (checkInput) CompareAll("input", input, gradInput, Loss, rtol, atol, h, rng, maxChecksPerTensor);
        foreach (var (name, p, grad) in paramGrads)
            if (p.RequiresGrad) CompareAll(name, p.Value, grad, Loss, rtol, atol, h, rng, maxChecksPerTensor);
    }

    /// <summary>Compares <paramref name="analytic"/> with central differences of <paramref name="loss"/> over <paramref name="x"/>.</summary>
    public static void CompareAll(string what, Tensor x, Tensor analytic, Func<double> loss, double rtol, double atol,
        double h, Rng rng, int maxChecks = 200)
    {
        Assert.Equal(x.Size, analytic.Size);
        var xs = x.Data;
        var indices = Enumerable.Range(0, x.Size).ToArray();
        if (indices.Length > maxChecks) { rng.Shuffle(indices.AsSpan()); indices = indices[..maxChecks]; }
        foreach (int i in indices)
        {
            float saved = xs[i];
            xs[i] = (float)(saved + h);
            double plus = loss();
            xs[i] = (float)(saved - h);
            double minus = loss();
            xs[i] = saved;
            double numeric = (plus - minus) / (2 * h);
            double a = analytic.Data[i];
            double tolerance = atol + rtol * Math.Max(Math.Abs(numeric), Math.Abs(a));
            Assert.True(Math.Abs(numeric - a) <= tolerance,
                $"{what}[{i}]: analytic {a:G6} vs numeric {numeric:G6} (tolerance {tolerance:G3})");
        }
    }
}
