using NormSharp.Kernels;
using static NormSharp.Tests.Normalization.BatchNormKernelTests;

namespace NormSharp.Tests.Normalization;

/// <summary>The row parties' aligned flat apply (BatchNorm.FlatAffine.cs) gives the bits of the row-by-row apply for every
/// misalignment of the output and of each input, with and without the second input and an activation, and writes nothing
/// outside the output.</summary>
public unsafe class FlatAffineTests
{
    public static TheoryData<int, int> Shapes => new()
    {
        { 250, 500 },  // a party's rows of the seed MLP's BN: period 2000
        { 3, 400 },
        { 17, 30 },    // period 240: rows shorter than the table
        { 5, 25 },
        { 2, 1024 },   // period 1024: C a multiple of 16
        { 1, 16 },
        { 1, 1 },      // one element
        { 3, 7 },      // fewer elements than two vectors
        { 40, 136 },
        { 9, 128 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FlatApplyGivesTheBitsOfTheRowApply(int rows, int channels)
    {
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            Assert.False(BatchNorm.FlatAffineApplies(channels)); // the row parties apply row by row (BatchNormScheduleTests)
            return;
        }
        Assert.True(BatchNorm.FlatAffineApplies(channels));
        int count = rows * channels;
        var a = RandomArray(channels, 81, offset: 1f);
        var b = RandomArray(channels, 82);
        var shift = RandomArray(channels, 83);
        var u = RandomArray(count, 84, scale: 4f);
        var v = RandomArray(count, 85, scale: 2f);
        foreach (int outputOffset in new[] { 0, 1, 7, 15 })
        foreach (int uOffset in new[] { 0, 3, 15 })
        foreach (int vOffset in new[] { 0, 9 })
        foreach (bool second in new[] { false, true })
        foreach (var activation in second ? [FusedActivation.None] : new[] { FusedActivation.None, FusedActivation.Relu, FusedActivation.Sigmoid })
        {
            var flat = Run(true);
            var byRows = Run(false);
            Assert.Equal(byRows, flat);
            Assert.All(flat.AsSpan(0, outputOffset).ToArray(), e => Assert.True(float.IsNaN(e), "written before the output"));
            Assert.All(flat.AsSpan(outputOffset + count).ToArray(), e => Assert.True(float.IsNaN(e), "written after the output"));

            float[] Run(bool useFlat)
            {
                // Buffers of whole 64-byte lines with the data at the given float offsets; the output's margins stay NaN.
                using var ub = Place(u, uOffset);
                using var vb = Place(v, vOffset);
                using var ob = Place(new float[count], outputOffset);
                new Span<float>(ob.Pointer, ob.Length).Fill(float.NaN);
                fixed (float* pa = a, pb = b, ps = shift)
                    BatchNorm.ApplyWholeRowsForTests(ub.Pointer + uOffset, second ? vb.Pointer + vOffset : null, ob.Pointer + outputOffset,
                        rows, channels, pa, pb, ps, activation, useFlat);
                return new Span<float>(ob.Pointer, ob.Length).ToArray();
            }
        }
    }

    /// <summary>An odd C above 128 has a period of 16·C floats, longer than the tables: those rows apply row by row.</summary>
    [Theory]
    [InlineData(301)]
    [InlineData(129)]
    public void LongPeriodsApplyRowByRow(int channels) => Assert.False(BatchNorm.FlatAffineApplies(channels));

    /// <summary>A 64-byte aligned buffer holding <paramref name="data"/> from float <paramref name="offset"/>, zeros around it.</summary>
    private static AlignedFloats Place(float[] data, int offset)
    {
        var buffer = new AlignedFloats(offset + data.Length + 32);
        var all = new Span<float>(buffer.Pointer, buffer.Length);
        all.Clear();
        data.CopyTo(all[offset..]);
        return buffer;
    }
}
