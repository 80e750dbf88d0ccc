using Edsos.Protocol.Qdisc;

namespace Edsos.Protocol.Tests.Qdisc;

public sealed class TxCreditLedgerTests
{
    [Fact]
    public void CanSend_BeforeTheFirstCredit_False()
    {
        var ledger = new TxCreditLedger();

        Assert.False(ledger.CanSend(1));
        Assert.True(ledger.Stopped);
    }

    [Fact]
    public void TakeAndReturn_CreditFollowsTheDescriptorsInFlight()
    {
        var ledger = new TxCreditLedger();
        ledger.OnCredit(8);

        ledger.Take(3);
        ledger.Take(4);

        Assert.Equal(1, ledger.Credit);
        Assert.True(ledger.CanSend(1));
        Assert.False(ledger.CanSend(2));
        ledger.Return(3);
        Assert.Equal(4, ledger.Credit);
        Assert.Equal(1, ledger.InFlightFrames);
    }

    [Fact]
    public void OnCredit_WithFramesInFlight_RingSizeKept()
    {
        var ledger = new TxCreditLedger();
        ledger.OnCredit(8);
        ledger.Take(2);

        // The driver's 6 free already counts the frame; taking it as the ring size would count it twice.
        ledger.OnCredit(6);

        Assert.Equal(8, ledger.RingSize);
        Assert.Equal(6, ledger.Credit);
    }

    [Fact]
    public void CanSend_FrameLargerThanTheRing_OnlyWhenIdle()
    {
        var ledger = new TxCreditLedger();
        ledger.OnCredit(4);

        Assert.True(ledger.CanSend(9));
        ledger.Take(1);
        Assert.False(ledger.CanSend(9));
    }

    [Fact]
    public void Stopped_NoCreditLeft_True()
    {
        var ledger = new TxCreditLedger();
        ledger.OnCredit(2);
        ledger.Take(2);

        Assert.True(ledger.Stopped);
        Assert.False(ledger.CanSend(1));
    }

    [Fact]
    public void Return_MoreThanTaken_Throws()
    {
        var ledger = new TxCreditLedger();
        ledger.OnCredit(4);
        ledger.Take(1);

        Assert.Throws<InvalidOperationException>(() => ledger.Return(2));
    }

    [Fact]
    public void Clear_FramesInFlight_FullCreditAgain()
    {
        var ledger = new TxCreditLedger();
        ledger.OnCredit(4);
        ledger.Take(3);

        ledger.Clear();

        Assert.Equal(4, ledger.Credit);
        Assert.Equal(0, ledger.InFlightFrames);
    }
}
