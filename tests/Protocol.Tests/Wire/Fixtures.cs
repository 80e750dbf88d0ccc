namespace Edsos.Protocol.Tests.Wire;

/// <summary>Byte fixtures shared by the wire tests, each derived field by field in its comment.</summary>
internal static class Fixtures
{
    /// <summary>
    /// The ARP request a QEMU guest on user-mode networking (slirp) sends first: guest 10.0.2.15 with
    /// QEMU's default MAC 52:54:00:12:34:56 asks for the gateway 10.0.2.2. Wireshark shows it as
    /// "Who has 10.0.2.2? Tell 10.0.2.15". 42 bytes (a NIC pads it to 60 on the wire).
    /// </summary>
    public static byte[] QemuArpRequest() => new byte[]
    {
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // Ethernet dst: broadcast
        0x52, 0x54, 0x00, 0x12, 0x34, 0x56, // Ethernet src: 52:54:00:12:34:56
        0x08, 0x06,                         // EtherType ARP
        0x00, 0x01,                         // ar$hrd = 1 (Ethernet)
        0x08, 0x00,                         // ar$pro = 0x0800 (IPv4)
        0x06,                               // ar$hln = 6
        0x04,                               // ar$pln = 4
        0x00, 0x01,                         // ar$op = 1 (request)
        0x52, 0x54, 0x00, 0x12, 0x34, 0x56, // ar$sha
        0x0A, 0x00, 0x02, 0x0F,             // ar$spa = 10.0.2.15
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // ar$tha = unknown
        0x0A, 0x00, 0x02, 0x02,             // ar$tpa = 10.0.2.2
    };

    /// <summary>
    /// An Ethernet frame carrying UDP 10.0.2.15:12345 → 10.0.2.2:7 (echo) with payload "hello" (odd
    /// length, so the checksum pads a zero byte).
    /// IPv4 checksum: words 4500 0021 1234 4000 4011 0000 0a00 020f 0a00 0202 sum to 0xef77 → ~ = 0x1088.
    /// UDP checksum: pseudo-header 0a00+020f+0a00+0202+0011+000d = 0x182f; header 3039+0007+000d+0000;
    /// payload 6865+6c6c+6f00; total 0x18c4d → fold 0x8c4e → ~ = 0x73b1 (cross-checked with python3 and tshark).
    /// </summary>
    public static byte[] UdpHelloFrame() => new byte[]
    {
        0x52, 0x55, 0x0A, 0x00, 0x02, 0x02, // Ethernet dst: slirp gateway 52:55:0a:00:02:02
        0x52, 0x54, 0x00, 0x12, 0x34, 0x56, // Ethernet src
        0x08, 0x00,                         // EtherType IPv4
        0x45,                               // version 4, IHL 5
        0x00,                               // DSCP 0, ECN 0
        0x00, 0x21,                         // total length 33 = 20 + 8 + 5
        0x12, 0x34,                         // identification 0x1234
        0x40, 0x00,                         // flags DF, fragment offset 0
        0x40,                               // TTL 64
        0x11,                               // protocol 17 (UDP)
        0x10, 0x88,                         // header checksum 0x1088
        0x0A, 0x00, 0x02, 0x0F,             // src 10.0.2.15
        0x0A, 0x00, 0x02, 0x02,             // dst 10.0.2.2
        0x30, 0x39,                         // src port 12345
        0x00, 0x07,                         // dst port 7
        0x00, 0x0D,                         // UDP length 13
        0x73, 0xB1,                         // UDP checksum 0x73b1
        0x68, 0x65, 0x6C, 0x6C, 0x6F,       // "hello"
    };

    /// <summary>
    /// ICMP echo request, identifier 0x1234, sequence 1, data "abcdefgh".
    /// Checksum: 0800+0000+1234+0001+6162+6364+6566+6768 = 0x1abc9 → fold 0xabc9 + 1 = 0xabca → ~ = 0x5435
    /// (cross-checked with python3).
    /// </summary>
    public static byte[] IcmpEchoRequest() => new byte[]
    {
        0x08,                               // type 8 (echo request)
        0x00,                               // code 0
        0x54, 0x35,                         // checksum 0x5435
        0x12, 0x34,                         // identifier
        0x00, 0x01,                         // sequence number 1
        0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, // "abcdefgh"
    };
}
