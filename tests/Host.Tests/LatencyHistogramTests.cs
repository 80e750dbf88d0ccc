using Edsos.Host.Demo;

namespace Edsos.Host.Tests;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void PercentileMicros_SmallSet_NearestRankLikeASortedList()
    {
        var histogram = new LatencyHistogram();
        foreach (double micros in new[] { 5.0, 1, 4, 2, 3 })
        {
            histogram.RecordMicros(micros);
        }

        Assert.Equal(5, histogram.Count);
        Assert.Equal(3, histogram.PercentileMicros(0.5), 2);
        Assert.Equal(5, histogram.PercentileMicros(0.99), 2);
        Assert.Equal(1, histogram.PercentileMicros(0), 2);
    }

    [Fact]
    public void PercentileMicros_Empty_Zero()
    {
        Assert.Equal(0, new LatencyHistogram().PercentileMicros(0.5));
    }

    [Fact]
    public void PercentileMicros_WideRange_Within0Point2Percent()
    {
        var histogram = new LatencyHistogram();
        var values = new List<double>();
        var random = new Random(12);
        for (int i = 0; i < 100_000; i++)
        {
            // From 0.1 µs to about 10 s, log-uniform.
            double micros = Math.Pow(10, -1 + (random.NextDouble() * 8));
            values.Add(micros);
            histogram.RecordMicros(micros);
        }

        values.Sort();
        foreach (double fraction in new[] { 0.01, 0.5, 0.9, 0.99, 0.999 })
        {
            double exact = values[(int)Math.Ceiling(fraction * values.Count) - 1];
            double estimate = histogram.PercentileMicros(fraction);
            Assert.InRange(estimate, (exact * 0.998) - 0.1, (exact * 1.002) + 0.1);
        }
    }

    [Fact]
    public void RecordNanoseconds_HoursAndNegative_ClampedNotThrown()
    {
        var histogram = new LatencyHistogram();

        histogram.RecordNanoseconds(-5);
        histogram.RecordNanoseconds(long.MaxValue);

        Assert.Equal(2, histogram.Count);
        Assert.Equal(0, histogram.PercentileMicros(0.5));
        Assert.True(histogram.PercentileMicros(1) > 3600e6);
    }
}
