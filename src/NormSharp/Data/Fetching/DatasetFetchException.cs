namespace NormSharp.Data.Fetching;

/// <summary>
/// No source could deliver a dataset's files. The message lists every source tried with its failure and
/// ends with the one-line manual fix.
/// </summary>
public sealed class DatasetFetchException : Exception
{
    public DatasetFetchException(string dataset, IReadOnlyList<string> missing, IReadOnlyList<FetchAttempt> attempts, string manualFix)
        : base(Format(dataset, missing, attempts, manualFix))
    {
        Dataset = dataset;
        Missing = missing;
        Attempts = attempts;
        ManualFix = manualFix;
    }

    public string Dataset { get; }
    public IReadOnlyList<string> Missing { get; }
    public IReadOnlyList<FetchAttempt> Attempts { get; }
    public string ManualFix { get; }

    private static string Format(string dataset, IReadOnlyList<string> missing, IReadOnlyList<FetchAttempt> attempts, string manualFix)
    {
        var text = new System.Text.StringBuilder();
        text.Append($"could not obtain dataset '{dataset}' (missing: {string.Join(", ", missing)}). Sources tried, in order:");
        foreach (var a in attempts)
            text.Append($"\n  - {a.Source}: {(a.Succeeded ? "ok, " : "failed, ")}{a.Detail}");
        text.Append($"\nManual fix: {manualFix}");
        return text.ToString();
    }
}
