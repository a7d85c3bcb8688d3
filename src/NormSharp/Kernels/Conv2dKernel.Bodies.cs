using System.Numerics.Tensors;

namespace NormSharp.Kernels;

public static unsafe partial class Conv2dKernel
{
    // Workspace layout, per chunk c: col at [c·colSize] (rows × ColumnStride, then C_out × ColumnStride of
    // padded-plane scratch when the stride pads), partial dW at [chunks·colSize + c·partialSize], partial db at
    // [chunks·(colSize + partialSize) + c·C_out].

    /// <summary>y_n = W · im2col(x_n) + b for the images of one chunk.</summary>
    private readonly struct ForwardBody(Conv2dGeometry g, int chunks, float* x, float* w, float* bias, float* y, float* workspace)
        : IChunkBody
    {
        public void Execute(int chunk)
        {
            int rows = g.ColumnRows, cols = g.ColumnCols, outC = g.OutChannels, ld = ColumnStride(g);
            var weight = new ReadOnlySpan<float>(w, g.WeightSize);
            float* col = ChunkColumns(g, workspace, chunk);
            float* planes = PaddedPlanes(g, col);
            bool channelLanes = UsesChannelLanes(g), spatialLanes = UsesSpatialLanes(g);
            float* wt = SharedWeights(g, chunks, workspace); // only read by the two direct paths

            for (int n = ChunkStart(chunk, chunks, g.Batch), end = ChunkStart(chunk + 1, chunks, g.Batch); n < end; n++)
            {
                float* image = x + (long)n * g.InputImageSize;
                float* outImage = y + (long)n * g.OutputImageSize;
                if (channelLanes || spatialLanes)
                {
                    if (channelLanes) ForwardChannelLanes(g, image, wt, bias, outImage, col);
                    else ForwardSpatialLanes(g, image, wt, bias, outImage, col);
                    continue;
                }
                if (g.IsPointwise) col = image;
                else Im2Col(g, image, col, ld);
                var output = new Span<float>(outImage, g.OutputImageSize);
                if (UseDirectProducts)
                {
                    // Whole 16-lane vectors over padded planes, then the planes' first H'·W' values into y.
                    if (planes == null) MultiplyRows(outC, cols, rows, w, rows, 1, col, outImage, rowInit: bias);
                    else
                    {
                        MultiplyRows(outC, ld, rows, w, rows, 1, col, planes, rowInit: bias);
                        CopyPlanes(outC, cols, planes, ld, outImage, cols);
                    }
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
            int rows = g.ColumnRows, cols = g.ColumnCols, outC = g.OutChannels, ld = ColumnStride(g);
            var weight = new ReadOnlySpan<float>(w, g.WeightSize);
            float* col = ChunkColumns(g, workspace, chunk);
            float* planes = PaddedPlanes(g, col);
            for (int n = ChunkStart(chunk, chunks, g.Batch), end = ChunkStart(chunk + 1, chunks, g.Batch); n < end; n++)
            {
                float* gradOutImage = dy + (long)n * g.OutputImageSize;
                var gradOut = new ReadOnlySpan<float>(gradOutImage, g.OutputImageSize);
                float* image = dx + (long)n * g.InputImageSize;
                // A pointwise convolution's dcol is dx itself.
                float* target = g.IsPointwise ? image : col;
                if (UseDirectProducts)
                {
                    float* source = gradOutImage;
                    if (planes != null)
                    {
                        PadPlanes(outC, cols, gradOutImage, planes, ld);
                        source = planes;
                    }
                    MultiplyRows(rows, ld, outC, w, 1, rows, source, target);
                }
                else Gemm.Sgemm(true, false, rows, cols, outC, 1f, weight, rows, gradOut, cols,
                    0f, new Span<float>(target, rows * cols), cols);
                if (g.IsPointwise) continue;
                if (UseDirectProducts && g.Stride == 1) Col2ImStride1(g, col, image, ld);
                else
                {
                    new Span<float>(image, g.InputImageSize).Clear();
                    Col2ImAdd(g, col, image, ld);
                }
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
            int cols = g.ColumnCols, outC = g.OutChannels;
            float* col = ChunkColumns(g, workspace, chunk);
            float* planes = PaddedPlanes(g, col);
            var partialW = new Span<float>(PartialWeight(chunk), g.WeightSize);
            float* partialB = PartialBias(chunk);
            float beta = 0f;
            bool laneSums = UsesLaneSums(g), channelLanes = UsesChannelLanes(g), spatialLanes = UsesSpatialLanes(g);
            if (laneSums || channelLanes) new Span<float>(PartialWeight(chunk), PartialWeightSize(g)).Clear();
            if (withBias) new Span<float>(partialB, outC).Clear();
            for (int n = ChunkStart(chunk, chunks, g.Batch), end = ChunkStart(chunk + 1, chunks, g.Batch); n < end; n++)
            {
                float* image = x + (long)n * g.InputImageSize;
                float* gradOutImage = dy + (long)n * g.OutputImageSize;
                var gradOut = new ReadOnlySpan<float>(gradOutImage, g.OutputImageSize);
                if (channelLanes) WeightGradientChannelLanes(g, image, gradOutImage, PartialWeight(chunk), col);
                else if (spatialLanes) WeightGradientSpatialLanes(g, image, gradOutImage, PartialWeight(chunk), col);
                else WeightGradientIm2Col(image, gradOutImage, col, planes, PartialWeight(chunk), laneSums, beta);
                beta = 1f;
                if (!withBias) continue;
                for (int o = 0; o < outC; o++) partialB[o] += TensorPrimitives.Sum(gradOut.Slice(o * cols, cols));
            }
            if (laneSums) ReduceLanes(g.WeightSize, PartialWeight(chunk));
            else if (beta == 0f && !channelLanes) partialW.Clear(); // a chunk without images contributes nothing
        }

        /// <summary>Adds one image's dy_n · im2col(x_n)ᵀ into <paramref name="partial"/> (overwrites it when
        /// <paramref name="beta"/> is 0): as 16 lane sums per weight, as dot products, or through Gemm.Sgemm.</summary>
        private void WeightGradientIm2Col(float* image, float* gradOutImage, float* col, float* planes, float* partial, bool laneSums, float beta)
        {
            int rows = g.ColumnRows, cols = g.ColumnCols, outC = g.OutChannels, ld = ColumnStride(g);
            if (g.IsPointwise) col = image;
            else Im2Col(g, image, col, ld);
            if (laneSums)
            {
                // Zero-padded planes of dy against zero-padded rows of col: the pads add exact zeros.
                float* source = gradOutImage;
                if (planes != null)
                {
                    PadPlanes(outC, cols, gradOutImage, planes, ld);
                    source = planes;
                }
                AccumulateLanes(outC, rows, ld, source, col, partial);
            }
            else if (UseDirectProducts) MultiplyTransposed(outC, rows, cols, gradOutImage, col, partial, beta != 0f);
            else Gemm.Sgemm(false, true, outC, rows, cols, 1f, new ReadOnlySpan<float>(gradOutImage, g.OutputImageSize), cols,
                new ReadOnlySpan<float>(col, rows * cols), cols, beta, new Span<float>(partial, g.WeightSize), rows);
        }
    }

    /// <summary>Row stride of the im2col matrix: H'·W' rounded up to whole 16-lane vectors for the direct
    /// products (LeNet's conv2 has 10·10 = 100 positions: 6 vectors and a 4-wide tail that ran scalar and
    /// kept the weight gradient off its lane-sum path), else H'·W'. A pointwise convolution reads the input
    /// itself, unpadded.</summary>
    private static int ColumnStride(in Conv2dGeometry g) =>
        UseDirectProducts && !g.IsPointwise ? (g.ColumnCols + 15) & ~15 : g.ColumnCols;

    /// <summary>The C_out × <see cref="ColumnStride"/> scratch after a chunk's im2col matrix, or null when
    /// the stride does not pad (y and dy planes are then used as they are).</summary>
    private static float* PaddedPlanes(in Conv2dGeometry g, float* col) =>
        ColumnStride(g) == g.ColumnCols ? null : col + (long)g.ColumnRows * ColumnStride(g);

    /// <summary>dst[o, 0 … cols) = src[o, 0 … cols) for o &lt; planes, with row strides.</summary>
    private static void CopyPlanes(int planes, int cols, float* src, int ldSrc, float* dst, int ldDst)
    {
        for (int o = 0; o < planes; o++)
            CopyShort(src + (long)o * ldSrc, dst + (long)o * ldDst, cols);
    }

    /// <summary>Copies planes [planes, cols] into stride-<paramref name="ld"/> rows with zeros after each plane.</summary>
    private static void PadPlanes(int planes, int cols, float* src, float* dst, int ld)
    {
        for (int o = 0; o < planes; o++)
        {
            float* row = dst + (long)o * ld;
            CopyShort(src + (long)o * cols, row, cols);
            for (int j = cols; j < ld; j++) row[j] = 0;
        }
    }
}
