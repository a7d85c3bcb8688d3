namespace NormSharp.Tests;

public class TensorTests
{
    [Fact]
    public void FromArrayKeepsShapeAndData()
    {
        var t = Tensor.FromArray([1, 2, 3, 4, 5, 6], 2, 3);
        Assert.Equal([2, 3], t.Shape);
        Assert.Equal(6, t.Size);
        Assert.Equal(6f, t[1, 2]);
        Assert.Equal([1f, 2, 3, 4, 5, 6], t.ToArray());
    }

    [Fact]
    public void FromArrayRejectsWrongSize()
    {
        var e = Assert.Throws<ArgumentException>(() => { Tensor.FromArray([1, 2, 3], 2, 2); });
        Assert.Contains("4 elements", e.Message);
    }

    [Fact]
    public void EnsureReusesStorageForTheSameShape()
    {
        Tensor? t = null;
        var first = Tensor.Ensure(ref t, 4, 5);
        var again = Tensor.Ensure(ref t, 4, 5);
        Assert.Same(first, again);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) Tensor.Ensure(ref t, 4, 5);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void ReshapeInfersOneDimension()
    {
        var t = new Tensor(2, 3, 4);
        var v = t.Reshape(2, -1);
        Assert.Equal([2, 12], v.Shape);
        Assert.Same(t.Data, v.Data);
        Assert.Throws<ArgumentException>(() => { t.Reshape(5, -1); });
    }
}
