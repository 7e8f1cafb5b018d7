using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Rt.Drivers.EtherCat.Link;

/// <summary>
/// EtherCAT over a Linux network interface: an AF_PACKET/SOCK_RAW socket bound (sockaddr_ll) to one interface and to
/// EtherType 0x88A4, non-blocking. Needs CAP_NET_RAW only. PACKET_QDISC_BYPASS is set when permitted (frames skip the
/// kernel's queueing discipline); our own outgoing frames, which AF_PACKET also delivers to the socket, are ignored
/// (PACKET_IGNORE_OUTGOING when the kernel has it, and the packet type is checked on every receive anyway).
/// Constructor and <see cref="WaitForFrame"/>: not real-time safe. TrySend/TryReceive: real-time safe (one syscall, no allocation).
/// </summary>
public sealed partial class RawSocketLink : IEthernetLink
{
    private const int AF_PACKET = 17;
    private const int SOCK_RAW = 3;
    private const int SOCK_NONBLOCK = 0x800;
    private const int SOCK_CLOEXEC = 0x80000;
    private const int SOL_PACKET = 263;
    private const int PACKET_QDISC_BYPASS = 20;
    private const int PACKET_IGNORE_OUTGOING = 23;
    private const byte PACKET_OUTGOING = 4;
    private const int MSG_DONTWAIT = 0x40;
    private const int EAGAIN = 11;
    private const int ENETDOWN = 100;
    private const int ENXIO = 6;
    private const int ENODEV = 19;
    private const short POLLIN = 1;

    private readonly int _fd;
    private readonly int _ifIndex;
    private readonly byte[] _mac;
    private readonly byte[] _sockaddr = new byte[SockaddrLl.Size];
    private bool _disposed;

    /// <summary>Opens the socket on <paramref name="interfaceName"/>. Throws <see cref="EtherCatException"/> with the errno on failure. Not real-time safe.</summary>
    public RawSocketLink(string interfaceName)
    {
        InterfaceName = interfaceName;
        _ifIndex = (int)IfNameToIndex(interfaceName);
        if (_ifIndex == 0)
            throw new EtherCatException($"network interface '{interfaceName}' not found (if_nametoindex: errno {Marshal.GetLastPInvokeError()})");
        _mac = ReadMac(interfaceName);

        ushort protoBe = BinaryPrimitives.ReverseEndianness(Frame.FrameLayout.EtherType);
        _fd = Socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protoBe);
        if (_fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new EtherCatException($"cannot open AF_PACKET raw socket for '{interfaceName}' (errno {errno}{(errno == 1 ? ", EPERM: needs CAP_NET_RAW" : "")})");
        }

        var sa = new byte[SockaddrLl.Size];
        BinaryPrimitives.WriteUInt16LittleEndian(sa.AsSpan(SockaddrLl.Family), AF_PACKET);
        BinaryPrimitives.WriteUInt16LittleEndian(sa.AsSpan(SockaddrLl.Protocol), protoBe);
        BinaryPrimitives.WriteInt32LittleEndian(sa.AsSpan(SockaddrLl.IfIndex), _ifIndex);
        if (Bind(_fd, sa, sa.Length) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            _ = Close(_fd);
            throw new EtherCatException($"cannot bind raw socket to '{interfaceName}' (errno {errno})");
        }
        sa.CopyTo(_sockaddr, 0);

        int one = 1;
        QdiscBypass = SetSockOpt(_fd, SOL_PACKET, PACKET_QDISC_BYPASS, ref one, sizeof(int)) == 0;
        IgnoreOutgoing = SetSockOpt(_fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, ref one, sizeof(int)) == 0;
    }

    public string InterfaceName { get; }

    /// <summary>Whether PACKET_QDISC_BYPASS was accepted.</summary>
    public bool QdiscBypass { get; }

    /// <summary>Whether PACKET_IGNORE_OUTGOING was accepted (otherwise outgoing copies are filtered by packet type).</summary>
    public bool IgnoreOutgoing { get; }

    /// <summary>Own outgoing frames seen and dropped by <see cref="TryReceive"/>.</summary>
    public long OutgoingIgnored { get; private set; }

    /// <summary>Carrier as last observed: false after a send failed with ENETDOWN/ENXIO/ENODEV, true after a send succeeded.</summary>
    public bool IsUp { get; private set; } = true;

    public ReadOnlySpan<byte> MacAddress => _mac;

    /// <summary>errno of the last failed send or receive (0 if none).</summary>
    public int LastErrno { get; private set; }

    /// <inheritdoc />
    public unsafe bool TrySend(ReadOnlySpan<byte> frame)
    {
        if (_disposed) return false;
        nint sent;
        fixed (byte* p = frame) sent = Send(_fd, p, (nuint)frame.Length, MSG_DONTWAIT);
        if (sent == frame.Length)
        {
            IsUp = true;
            return true;
        }
        int errno = Marshal.GetLastPInvokeError();
        LastErrno = errno;
        if (errno is ENETDOWN or ENXIO or ENODEV) IsUp = false;
        return false;
    }

    /// <inheritdoc />
    public unsafe int TryReceive(Span<byte> buffer)
    {
        if (_disposed) return 0;
        byte* from = stackalloc byte[SockaddrLl.Size];
        while (true)
        {
            int fromLen = SockaddrLl.Size;
            nint got;
            fixed (byte* p = buffer) got = RecvFrom(_fd, p, (nuint)buffer.Length, MSG_DONTWAIT, from, ref fromLen);
            if (got < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno != EAGAIN) LastErrno = errno;
                return 0;
            }
            if (from[SockaddrLl.PacketType] == PACKET_OUTGOING)
            {
                OutgoingIgnored++;
                continue;
            }
            return (int)got;
        }
    }

    /// <summary>Blocks up to <paramref name="timeoutMs"/> for a frame to be readable (poll(2)). Not real-time safe; for bring-up and tests.</summary>
    public bool WaitForFrame(int timeoutMs)
    {
        var pfd = new PollFd { Fd = _fd, Events = POLLIN };
        return Poll(ref pfd, 1, timeoutMs) > 0;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _ = Close(_fd);
    }

    private static byte[] ReadMac(string name)
    {
        var mac = new byte[6];
        try
        {
            var text = File.ReadAllText($"/sys/class/net/{name}/address").Trim();
            var parts = text.Split(':');
            for (int i = 0; i < 6 && i < parts.Length; i++) mac[i] = Convert.ToByte(parts[i], 16);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        catch (FormatException) { }
        return mac;
    }

    /// <summary>struct sockaddr_ll { u16 family; u16 protocol (big-endian); i32 ifindex; u16 hatype; u8 pkttype; u8 halen; u8 addr[8]; }</summary>
    private static class SockaddrLl
    {
        public const int Family = 0;
        public const int Protocol = 2;
        public const int IfIndex = 4;
        public const int HardwareType = 8;
        public const int PacketType = 10;
        public const int AddressLength = 11;
        public const int Address = 12;
        public const int Size = 20;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    [LibraryImport("libc", EntryPoint = "if_nametoindex", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial uint IfNameToIndex(string name);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static partial int Bind(int fd, byte[] addr, int len);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOpt(int fd, int level, int name, ref int value, int len);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static unsafe partial nint Send(int fd, byte* buf, nuint len, int flags);

    [LibraryImport("libc", EntryPoint = "recvfrom", SetLastError = true)]
    private static unsafe partial nint RecvFrom(int fd, byte* buf, nuint len, int flags, byte* from, ref int fromLen);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(ref PollFd fds, nuint count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
