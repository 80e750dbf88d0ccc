using System.Numerics;

namespace Edsos.Host.Demo;

/// <summary>
/// The statistics of a run in bounded memory, whatever its length: an HDR-style log-linear
/// histogram of durations in nanoseconds. Below 1,024 ns every value has its own bucket; above,
/// each power of two is cut into 512 equal buckets, so a percentile is within 0.2 % of the true
/// value. Values up to 2^44 ns (about 4.9 hours) are kept apart, longer ones in the last bucket.
/// About 144 KiB per histogram, fixed. Not thread-safe: one recorder at a time.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBucketBits = 10;
    private const int SubBucketCount = 1 << SubBucketBits;
    private const int SubBucketHalf = SubBucketCount / 2;
    private const int MaxMagnitude = 44;
    private const long MaxValue = (1L << MaxMagnitude) - 1;

    private readonly long[] _counts = new long[SubBucketCount + ((MaxMagnitude - SubBucketBits) * SubBucketHalf)];
    private long _min = long.MaxValue;
    private long _max;

    /// <summary>Values recorded.</summary>
    public long Count { get; private set; }

    /// <summary>Records one duration given in microseconds (negative values count as 0).</summary>
    public void RecordMicros(double micros) => RecordNanoseconds((long)Math.Round(Math.Max(0, micros) * 1000));

    /// <summary>Records one duration.</summary>
    public void Record(TimeSpan duration) => RecordMicros(duration.TotalMicroseconds);

    /// <summary>Records one duration given in nanoseconds (negative values count as 0).</summary>
    public void RecordNanoseconds(long nanoseconds)
    {
        long value = Math.Clamp(nanoseconds, 0, MaxValue);
        _counts[IndexOf(value)]++;
        Count++;
        _min = Math.Min(_min, value);
        _max = Math.Max(_max, value);
    }

    /// <summary>
    /// The nearest-rank percentile (<paramref name="fraction"/> 0..1) in microseconds, rounded to
    /// 0.1 µs; 0 when nothing was recorded. Exact below 1 µs, within 0.2 % above.
    /// </summary>
    public double PercentileMicros(double fraction)
    {
        if (Count == 0)
        {
            return 0;
        }

        long rank = Math.Clamp((long)Math.Ceiling(fraction * Count), 1, Count);
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                var (low, high) = BucketRange(i);
                long value = Math.Clamp(low + ((high - low) / 2), _min, _max);
                return Math.Round(value / 1000.0, 1);
            }
        }

        return Math.Round(_max / 1000.0, 1);
    }

    private static int IndexOf(long value)
    {
        if (value < SubBucketCount)
        {
            return (int)value;
        }

        int magnitude = 63 - BitOperations.LeadingZeroCount((ulong)value);
        int shift = magnitude - (SubBucketBits - 1);
        return SubBucketCount + ((shift - 1) * SubBucketHalf) + (int)((value >> shift) - SubBucketHalf);
    }

    private static (long Low, long High) BucketRange(int index)
    {
        if (index < SubBucketCount)
        {
            return (index, index);
        }

        int j = index - SubBucketCount;
        int shift = (j / SubBucketHalf) + 1;
        long low = (long)((j % SubBucketHalf) + SubBucketHalf) << shift;
        return (low, low + (1L << shift) - 1);
    }
}
