using System.Text;

namespace NormSharp.Tests.Reliability;

/// <summary>
/// Seeded random mutation of a valid file (the mutation strategies of AFL's havoc stage, plus text-level
/// ones for JSON/CSV): bit flips, interesting bytes and integers (0, −1, 0x7F…, 2^31, 2^63), inserted,
/// deleted, duplicated or truncated ranges, numbers replaced by huge or negative ones, deep nesting.
/// Case <c>i</c> of a run is reproducible from its seed alone.
/// </summary>
internal static class Mutator
{
    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x7F, 0x80, 0xFF, (byte)'{', (byte)'[', (byte)'"', (byte)',', (byte)'\n'];
    private static readonly ulong[] InterestingWords = [0, 1, 0x7F, 0xFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 1UL << 40, long.MaxValue, ulong.MaxValue];
    private static readonly string[] InterestingNumbers =
        ["-1", "0", "2147483648", "4294967297", "99999999999999999999", "1e309", "-1e309", "NaN", "1.5", "65536", "-0", "1e-45", "3"];

    public static byte[] Mutate(byte[] valid, ulong seed, bool text)
    {
        var rng = new Rng(seed);
        var bytes = new List<byte>(valid);
        int rounds = 1 + rng.NextInt(4);
        for (int r = 0; r < rounds; r++)
        {
            int choice = rng.NextInt(text ? 10 : 8);
            int at = bytes.Count == 0 ? 0 : rng.NextInt(bytes.Count);
            switch (choice)
            {
                case 0 when bytes.Count > 0: bytes[at] ^= (byte)(1 << rng.NextInt(8)); break;
                case 1 when bytes.Count > 0: bytes[at] = (byte)rng.NextInt(256); break;
                case 2 when bytes.Count > 0: bytes[at] = InterestingBytes[rng.NextInt(InterestingBytes.Length)]; break;
                case 3: // an interesting 4- or 8-byte integer, either endianness (IDX is big-endian, safetensors little)
                {
                    ulong word = InterestingWords[rng.NextInt(InterestingWords.Length)];
                    int width = rng.NextInt(2) == 0 ? 4 : 8;
                    bool big = rng.NextInt(2) == 0;
                    for (int k = 0; k < width && at + k < bytes.Count; k++)
                        bytes[at + k] = (byte)(word >> (8 * (big ? width - 1 - k : k)));
                    break;
                }
                case 4: bytes.InsertRange(at, Random(rng, 1 + rng.NextInt(16))); break;
                case 5 when bytes.Count > 0: bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + rng.NextInt(32))); break;
                case 6 when bytes.Count > 0:
                {
                    int length = Math.Min(bytes.Count - at, 1 + rng.NextInt(64));
                    bytes.InsertRange(rng.NextInt(bytes.Count), bytes.GetRange(at, length));
                    break;
                }
                case 7: bytes.RemoveRange(at, bytes.Count - at); break; // truncate
                case 8: ReplaceNumber(bytes, rng); break;
                case 9: bytes.InsertRange(at, Encoding.ASCII.GetBytes(new string('[', 1 + rng.NextInt(2000)))); break;
            }
        }
        return [.. bytes];
    }

    /// <summary>Replaces a run of digits (a size, offset or dimension) by an interesting number.</summary>
    private static void ReplaceNumber(List<byte> bytes, Rng rng)
    {
        var starts = new List<int>();
        for (int i = 0; i < bytes.Count; i++)
            if (char.IsAsciiDigit((char)bytes[i]) && (i == 0 || !char.IsAsciiDigit((char)bytes[i - 1]))) starts.Add(i);
        if (starts.Count == 0) return;
        int start = starts[rng.NextInt(starts.Count)], end = start;
        while (end < bytes.Count && char.IsAsciiDigit((char)bytes[end])) end++;
        bytes.RemoveRange(start, end - start);
        bytes.InsertRange(start, Encoding.ASCII.GetBytes(InterestingNumbers[rng.NextInt(InterestingNumbers.Length)]));
    }

    private static byte[] Random(Rng rng, int count)
    {
        var bytes = new byte[count];
        for (int i = 0; i < count; i++) bytes[i] = (byte)rng.NextInt(256);
        return bytes;
    }
}
