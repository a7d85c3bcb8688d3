namespace NormSharp.Bench;

/// <summary>A GEMM case written "TRANS m×n×k", e.g. "NT 500x400x500" (op(A) = A, op(B) = Bᵀ).</summary>
internal readonly record struct GemmShape(bool TransA, bool TransB, int M, int N, int K)
{
    public static GemmShape Parse(string text)
    {
        var parts = text.Split(' ');
        var dims = parts[1].Split('x').Select(int.Parse).ToArray();
        return new GemmShape(parts[0][0] == 'T', parts[0][1] == 'T', dims[0], dims[1], dims[2]);
    }
}
