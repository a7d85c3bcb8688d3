using System.Numerics.Tensors;

namespace NormSharp.Kernels;

public static unsafe partial class Conv2dKernel
{
    // Workspace layout, per chunk c: col at [c·colSize], partial dW at [chunks·colSize + c·weightSize],
    // partial db at [chunks·(colSize + weightSize) + c·C_out].

    /// <summary>y_n = W · im2col(x_n) + b for the images of one chunk.</summary>
    private readonly struct ForwardBody(Conv2dGeometry g, int chunks, float* x, float* w, float* bias, float* y, float* workspace)
        : IChunkBody
    {
        public void Execute(int chunk)
        {
            int rows = g.ColumnRows, cols = g.ColumnCols, outC = g.OutChannels;
            var weight = new ReadOnlySpan<float>(w, g.WeightSize);
            float* col = workspace + (long)chunk * ColumnSize(g);
            for (int n = ChunkStart(chunk, chunks, g.Batch), end = ChunkStart(chunk + 1, chunks, g.Batch); n < end; n++)
            {
                float* image = x + (long)n * g.InputImageSize;
                float* outImage = y + (long)n * g.OutputImageSize;
                if (g.IsPointwise) col = image;
                else Im2Col(g, image, col);
                var output = new Span<float>(outImage, g.OutputImageSize);
                if (UseDirectProducts)
                {
                    MultiplyRows(outC, cols, rows, w, rows, 1, col, outImage, rowInit: bias);
                    continue;
                }
                Gemm.Sgemm(false, false, outC, cols, rows, 1f, weight, rows,
                    new ReadOnlySpan<float>(col, rows * cols), cols, 0f, output, cols);
                if (bias == null) continue;
                for (int o = 0; o < outC; o++)
                {
                    var plane = output.Slice(o * cols, cols);
                    TensorPrimitives.Add(plane, bias[o], plane);
                }
            }
        }
    }

    /// <summary>dx_n = col2im(Wᵀ · dy_n) for the images of one chunk.</summary>
    private readonly struct BackwardDataBody(Conv2dGeometry g, int chunks, float* dy, float* w, float* dx, float* workspace)
        : IChunkBody
    {
        public void Execute(int chunk)
        {
            int rows = g.ColumnRows, cols = g.ColumnCols, outC = g.OutChannels;
            var weight = new ReadOnlySpan<float>(w, g.WeightSize);
            float* col = workspace + (long)chunk * ColumnSize(g);
            for (int n = ChunkStart(chunk, chunks, g.Batch), end = ChunkStart(chunk + 1, chunks, g.Batch); n < end; n++)
            {
                float* gradOutImage = dy + (long)n * g.OutputImageSize;
                var gradOut = new ReadOnlySpan<float>(gradOutImage, g.OutputImageSize);
                float* image = dx + (long)n * g.InputImageSize;
                // A pointwise convolution's dcol is dx itself.
                float* target = g.IsPointwise ? image : col;
                if (UseDirectProducts) MultiplyRows(rows, cols, outC, w, 1, rows, gradOutImage, target);
                else Gemm.Sgemm(true, false, rows, cols, outC, 1f, weight, rows, gradOut, cols,
                    0f, new Span<float>(target, rows * cols), cols);
                if (g.IsPointwise) continue;
                new Span<float>(image, g.InputImageSize).Clear();
                Col2ImAdd(g, col, image);
            }
        }
    }

    /// <summary>Partial dW = Σ_n dy_n · im2col(x_n)ᵀ and db = Σ_n Σ_positions dy_n over the images of one chunk.</summary>
    private readonly struct BackwardWeightsBody(Conv2dGeometry g, int chunks, float* x, float* dy, bool withBias, float* workspace)
        : IChunkBody
    {
        public float* PartialWeight(int chunk) => workspace + (long)chunks * ColumnSize(g) + (long)chunk * PartialWeightSize(g);

        public float* PartialBias(int chunk) =>
            workspace + (long)chunks * (ColumnSize(g) + PartialWeightSize(g)) + (long)chunk * g.OutChannels;

        public void Execute(int chunk)
        {
            int rows = g.ColumnRows, cols = g.ColumnCols, outC = g.OutChannels;
            float* col = workspace + (long)chunk * ColumnSize(g);
            var partialW = new Span<float>(PartialWeight(chunk), g.WeightSize);
            float* partialB = PartialBias(chunk);
            float beta = 0f;
            bool laneSums = UsesLaneSums(g);
            if (laneSums) new Span<float>(PartialWeight(chunk), PartialWeightSize(g)).Clear();
            if (withBias) new Span<float>(partialB, outC).Clear();
            for (int n = ChunkStart(chunk, chunks, g.Batch), end = ChunkStart(chunk + 1, chunks, g.Batch); n < end; n++)
            {
                float* image = x + (long)n * g.InputImageSize;
                var gradOut = new ReadOnlySpan<float>(dy + (long)n * g.OutputImageSize, g.OutputImageSize);
                if (g.IsPointwise) col = image;
                else Im2Col(g, image, col);
                if (laneSums) AccumulateLanes(outC, rows, cols, dy + (long)n * g.OutputImageSize, col, PartialWeight(chunk));
                else if (UseDirectProducts) MultiplyTransposed(outC, rows, cols, dy + (long)n * g.OutputImageSize, col, PartialWeight(chunk), beta != 0f);
                else Gemm.Sgemm(false, true, outC, rows, cols, 1f, gradOut, cols,
                    new ReadOnlySpan<float>(col, rows * cols), cols, beta, partialW, rows);
                beta = 1f;
                if (!withBias) continue;
                for (int o = 0; o < outC; o++) partialB[o] += TensorPrimitives.Sum(gradOut.Slice(o * cols, cols));
            }
            if (laneSums) ReduceLanes(g.WeightSize, PartialWeight(chunk));
            else if (beta == 0f) partialW.Clear(); // a chunk without images contributes nothing
        }
    }
}
