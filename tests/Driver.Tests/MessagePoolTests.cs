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
}
