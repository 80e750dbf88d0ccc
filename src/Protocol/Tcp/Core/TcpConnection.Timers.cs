using Edsos.Memory;
using Edsos.Protocol.Wire;

namespace Edsos.Protocol.Tcp.Core;

/// <summary>The timers: what <see cref="Poll"/> does once <see cref="PollAt"/> is reached.</summary>
public sealed partial class TcpConnection
{
    /// <summary>
    /// Runs every timer that is due at <paramref name="now"/>, in this order: TIME_WAIT's end (the connection is
    /// deleted), an abort for revoked payload (RST, <see cref="Errno.ECONNABORTED"/>), the RFC 5482 user timeout (RST,
    /// <see cref="Errno.ETIMEDOUT"/>), the delayed ACK, the tail loss probe, the retransmission timeout (RFC 6298 5.4-5.7;
    /// past the retry limit the connection is deleted with <see cref="Errno.ETIMEDOUT"/>), the persist timer (zero-window
    /// probe, or the RFC 9293 3.8.6.2.1 override). Early or repeated calls are harmless: nothing due, nothing done.
    /// </summary>
    public void Poll(DateTimeOffset now)
    {
        _now = now;
        if (State == TcpState.Closed)
        {
            return;
        }

        if (TimeWaitDeadline is { } linger && linger <= now)
        {
            Destroy(Errno.None);
            return;
        }

        if (_revokedAt is not null)
        {
            // The bytes queued for the peer are gone with their TS: tell the peer the stream is cut.
            _stats.RevokedAborts++;
            SendReset();
            Destroy(Errno.ECONNABORTED);
            return;
        }

        // RFC 5482: data waiting on the peer (in flight, or held by its zero window) that long without progress.
        AfterEvent();
        if (_progress.Expired(now, _options.UserTimeout))
        {
            _stats.UserTimeouts++;
            SendReset();
            Destroy(Errno.ETIMEDOUT);
            return;
        }

        if (DelayedAckDeadline is { } delayed && delayed <= now)
        {
            SendAck();
        }

        if (ProbeTimeoutDeadline is { } probe && probe <= now && State != TcpState.Closed)
        {
            SendLossProbe();
        }

        if (RtoDeadline is { } rto && rto <= now)
        {
            OnRetransmissionTimeout();
            if (State == TcpState.Closed)
            {
                return;
            }
        }

        if (PersistDeadline is { } persist && persist <= now)
        {
            PersistDeadline = null;
            if (SndWnd == 0 && SeqNum.Lt(SndNxt, SendEnd))
            {
                SendZeroWindowProbe();
                PersistShift++;
                PersistDeadline = now + PersistInterval();
            }
            else if (SndWnd > 0 && FlightSize == 0 && SeqNum.Lt(SndNxt, SendEnd))
            {
                // RFC 9293 3.8.6.2.1 override timeout: the small window did not grow; send what it allows.
                SwsOverride = true;
                Output();
                SwsOverride = false;
            }
        }

        if (State != TcpState.Closed)
        {
            AfterEvent();
        }
    }

    /// <summary>RFC 6298 5.4-5.7 and RFC 5681 (4): retransmit the earliest unacknowledged segment, back off, go back to slow start.</summary>
    private void OnRetransmissionTimeout()
    {
        RtoDeadline = null;
        ProbeTimeoutDeadline = null;

        // The resend below gets one loss probe of its own (SendLossProbe): if it is lost too, it goes again after
        // about two round trips instead of after the doubled RTO.
        LossProbeSent = false;
        _stats.Timeouts++;
        bool handshake = State is TcpState.SynSent or TcpState.SynReceived;
        Backoffs++;
        if (Backoffs > (handshake ? _options.MaxSynRetransmits : _options.MaxRetransmits))
        {
            if (!handshake)
            {
                SendReset();
            }

            Destroy(Errno.ETIMEDOUT);
            return;
        }

        Rto.BackOff();
        if (handshake)
        {
            SendSyn(ack: State == TcpState.SynReceived);
            CountRetransmit(Iss, Iss + 1);
            return;
        }

        if (SndUna == SndMax)
        {
            return;
        }

        // RFC 5681 3.1: ssthresh is set by the first timeout of a segment and held for its later ones.
        Congestion.OnRetransmissionTimeout(SeqNum.Diff(SndUna, SndMax), SndMax, firstTimeout: Backoffs == 1);
        _sampler.OnTimeout();
        SndNxt = SndUna;
        Output();
        ArmRto();
    }
}

