using Edsos.Memory;
using static Edsos.Driver.DriverProtocol;

namespace Edsos.Driver.Tests;

/// <summary>The pool and lease behind the pooled event messages, and a pooled record's value semantics.</summary>
public sealed class MessagePoolTests
{
    private static readonly Capability s_cap = new(7, 3, Rights.Read | Rights.Map, 0xABCDEF);

    [Fact]
    public void TryRent_EmptyPool_Null_ReturnedInstanceComesBackOnce()
    {
        var pool = new MessagePool<object>(capacity: 2);
        var item = new object();

        Assert.Null(pool.TryRent());
        pool.Return(item);

        Assert.Equal(1, pool.Idle);
        Assert.Same(item, pool.TryRent());
        Assert.Null(pool.TryRent());
    }

    [Fact]
    public void Return_FullPool_DropsTheExtraInstance()
    {
        var pool = new MessagePool<object>(capacity: 2);

        pool.Return(new object());
        pool.Return(new object());
        pool.Return(new object());

        Assert.Equal(2, pool.Idle);
    }

    [Fact]
    public void RentAndReturn_FullCapacity_EveryInstanceComesBackOnceThenTheLastIsDropped()
    {
        var pool = new MessagePool<object>(capacity: 64);
        var made = Enumerable.Range(0, 64).Select(_ => new object()).ToList();
        foreach (var item in made)
        {
            pool.Return(item);
        }

        pool.Return(new object());
        var rented = Enumerable.Range(0, 64).Select(_ => pool.TryRent()!).ToList();

        Assert.Null(pool.TryRent());
        Assert.Equal(made.ToHashSet(ReferenceEqualityComparer.Instance), rented.ToHashSet(ReferenceEqualityComparer.Instance));
        foreach (var item in rented.Take(10))
        {
            pool.Return(item);
        }

        Assert.Equal(10, pool.Idle);
    }

    [Fact]
    public async Task RentAndReturn_FromManyThreads_NeverHandsOneInstanceToTwoHolders()
    {
        var pool = new MessagePool<Holder>(capacity: 8);
        int twice = 0;
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            // Two at a time, so that every round trip goes through the shared slots too, not only the thread's own.
            for (int i = 0; i < 50_000; i++)
            {
                var held = pool.TryRent() ?? new Holder();
                var other = pool.TryRent() ?? new Holder();
                if ((Interlocked.Exchange(ref held.InUse, 1) != 0) | (Interlocked.Exchange(ref other.InUse, 1) != 0))
                {
                    Interlocked.Increment(ref twice);
                }

                Thread.SpinWait(i % 7);
                Volatile.Write(ref held.InUse, 0);
                Volatile.Write(ref other.InUse, 0);
                pool.Return(held);
                pool.Return(other);
            }
        }));

        await Task.WhenAll(workers);

        // Racing returns may be dropped (a stale hint: the GC takes them), never handed out twice; the shared slots
        // still hold at most capacity − 1, and this thread's slot works as before.
        Assert.Equal(0, twice);
        Assert.InRange(pool.Idle, 0, 7);
        var mine = new Holder();
        pool.Return(mine);
        Assert.Same(mine, pool.TryRent());
    }

    [Fact]
    public void Lease_EndsOnlyOncePerBegin_NeverWithoutOne()
    {
        var lease = default(MessageLease);

        Assert.False(lease.TryEnd());
        lease.Begin();
        Assert.True(lease.TryEnd());
        Assert.False(lease.TryEnd());
        Assert.True(lease == default);
    }

    [Fact]
    public void Rent_EqualsTheRecordMadeWithNew_WithAndToStringUnchanged()
    {
        var made = new SendCompleteEvent(41, 1500, TxStatus.Sent, 30);
        var rented = SendCompleteEvent.Rent(41, 1500, TxStatus.Sent, 30);

        Assert.Equal(made, rented);
        Assert.Equal(made.GetHashCode(), rented.GetHashCode());
        Assert.Equal(made.ToString(), rented.ToString());
        Assert.Equal(new SendCompleteEvent(42, 1500, TxStatus.Sent, 30), rented with { Token = 42 });
        Assert.NotEqual(made, rented with { Status = TxStatus.RingFull });
        rented.Return();
    }

    [Fact]
    public void Return_InstanceMadeWithNew_IsNotPooledAndKeepsItsFields()
    {
        var made = new FrameReceivedEvent(s_cap, 742);

        made.Return();
        made.Return();

        Assert.Equal(s_cap, made.Frame);
        Assert.Equal(742, made.Length);
    }

    private sealed class Holder
    {
        public int InUse;
    }
}
