namespace NormSharp.Kernels;

/// <summary>
/// Plain scalar versions of the fused optimizer updates in <see cref="OptimizerKernels"/>, written as
/// PyTorch 1.13 writes them (torch/optim/sgd.py, adam.py, adamw.py, rmsprop.py, single-tensor path).
/// Tests hold the vectorised kernels to these.
/// </summary>
public static class OptimizerKernelsReference
{
    /// <summary>SGD: d = g + wd·p; buf = first ? d : μ·buf + (1−τ)·d; d = nesterov ? d + μ·buf : buf; p −= lr·d.</summary>
    public static void Sgd(Span<float> param, ReadOnlySpan<float> grad, Span<float> momentumBuffer,
        float lr, float momentum, float dampening, float weightDecay, bool nesterov, bool firstStep)
    {
        for (int i = 0; i < param.Length; i++)
        {
            float d = grad[i] + weightDecay * param[i];
            if (momentum != 0)
            {
                float buf = firstStep ? d : momentum * momentumBuffer[i] + (1 - dampening) * d;
                momentumBuffer[i] = buf;
                d = nesterov ? d + momentum * buf : buf;
            }
            param[i] -= lr * d;
        }
    }

    /// <summary>
    /// Adam/AdamW: p ·= decay; g' = g + wd·p; m = β1·m + (1−β1)·g'; v = β2·v + (1−β2)·g'²;
    /// p −= stepSize · m / (√v / bc2Sqrt + ε), with stepSize = lr / (1 − β1^t) and bc2Sqrt = √(1 − β2^t).
    /// </summary>
    public static void Adam(Span<float> param, ReadOnlySpan<float> grad, Span<float> expAvg, Span<float> expAvgSq,
        float beta1, float beta2, float eps, float l2WeightDecay, float decoupledDecay, float stepSize, float bias2Sqrt)
    {
        for (int i = 0; i < param.Length; i++)
        {
            float p = param[i] * decoupledDecay;
            float g = grad[i] + l2WeightDecay * p;
            float m = beta1 * expAvg[i] + (1 - beta1) * g;
            float v = beta2 * expAvgSq[i] + (1 - beta2) * g * g;
            expAvg[i] = m;
            expAvgSq[i] = v;
            param[i] = p - stepSize * (m / (MathF.Sqrt(v) / bias2Sqrt + eps));
        }
    }

    /// <summary>
    /// RMSprop: g' = g + wd·p; s = α·s + (1−α)·g'²; centered: a = α·a + (1−α)·g', avg = √(s − a²), else
    /// avg = √s; avg += ε; momentum: buf = μ·buf + g'/avg, p −= lr·buf; else p −= lr·g'/avg.
    /// </summary>
    public static void RmsProp(Span<float> param, ReadOnlySpan<float> grad, Span<float> squareAvg, Span<float> gradAvg,
        Span<float> momentumBuffer, float lr, float alpha, float eps, float weightDecay, float momentum, bool centered)
    {
        for (int i = 0; i < param.Length; i++)
        {
            float g = grad[i] + weightDecay * param[i];
            float s = alpha * squareAvg[i] + (1 - alpha) * g * g;
            squareAvg[i] = s;
            float avg;
            if (centered)
            {
                float a = alpha * gradAvg[i] + (1 - alpha) * g;
                gradAvg[i] = a;
                avg = MathF.Sqrt(s - a * a) + eps;
            }
            else avg = MathF.Sqrt(s) + eps;
            if (momentum > 0)
            {
                float buf = momentum * momentumBuffer[i] + g / avg;
                momentumBuffer[i] = buf;
                param[i] -= lr * buf;
            }
            else param[i] -= lr * (g / avg);
        }
    }
}
