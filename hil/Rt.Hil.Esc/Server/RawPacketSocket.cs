using System.Runtime.InteropServices;

namespace Rt.Hil.Esc.Server;

/// <summary>
/// A Linux AF_PACKET raw socket bound to one interface and one EtherType, with a small P/Invoke of its own.
/// Open/close are not real-time safe; <see cref="TryReceive"/> and <see cref="Send"/> do not allocate.
/// </summary>
public sealed unsafe partial class RawPacketSocket : IDisposable
{
    private const int AF_PACKET = 17, SOCK_RAW = 3, SOL_PACKET = 263, PACKET_ADD_MEMBERSHIP = 1, PACKET_MR_PROMISC = 1;
    private const byte PACKET_OUTGOING = 4;
    private const short POLLIN = 0x001;
    private int _fd;

    /// <summary>Opens the socket on <paramref name="interfaceName"/> for <paramref name="etherType"/>; throws IOException with errno text on failure.</summary>
    public RawPacketSocket(string interfaceName, ushort etherType, bool promiscuous = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(interfaceName);
        InterfaceIndex = (int)if_nametoindex(interfaceName);
        if (InterfaceIndex == 0) throw new IOException($"interface '{interfaceName}' not found ({Marshal.GetLastPInvokeErrorMessage()})");
        ushort proto = (ushort)((etherType >> 8) | ((etherType & 0xFF) << 8));
        _fd = socket(AF_PACKET, SOCK_RAW, proto);
        if (_fd < 0) throw new IOException($"AF_PACKET socket on '{interfaceName}': {Marshal.GetLastPInvokeErrorMessage()} (needs root or CAP_NET_RAW)");
        var addr = new SockAddrLl { Family = AF_PACKET, Protocol = proto, IfIndex = InterfaceIndex };
        if (bind(_fd, &addr, sizeof(SockAddrLl)) != 0)
        {
            string e = Marshal.GetLastPInvokeErrorMessage();
            close(_fd);
            _fd = -1;
            throw new IOException($"bind to '{interfaceName}': {e}");
        }

        if (promiscuous)
        {
            var mreq = new PacketMreq { IfIndex = InterfaceIndex, Type = PACKET_MR_PROMISC };
            setsockopt(_fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof(PacketMreq)); // best effort
        }
    }

    public int InterfaceIndex { get; }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for an incoming frame; returns its length, 0 on timeout, -1 on error.</summary>
    public int TryReceive(Span<byte> buffer, int timeoutMs)
    {
        var pfd = new PollFd { Fd = _fd, Events = POLLIN };
        int r = poll(&pfd, 1, timeoutMs);
        if (r <= 0) return r < 0 && Marshal.GetLastPInvokeError() != 4 ? -1 : 0; // EINTR counts as a timeout
        SockAddrLl from;
        int fromLen = sizeof(SockAddrLl);
        fixed (byte* p = buffer)
        {
            nint n = recvfrom(_fd, p, (nuint)buffer.Length, 0, &from, &fromLen);
            if (n < 0) return -1;
            if (from.PktType == PACKET_OUTGOING) return 0; // our own transmission echoed back
            return (int)n;
        }
    }

    /// <summary>Sends one frame on the bound interface; false if the kernel refused it.</summary>
    public bool Send(ReadOnlySpan<byte> frame)
    {
        fixed (byte* p = frame)
        {
            return send(_fd, p, (nuint)frame.Length, 0) == frame.Length;
        }
    }

    public void Dispose()
    {
        if (_fd >= 0)
        {
            close(_fd);
            _fd = -1;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SockAddrLl
    {
        public ushort Family;
        public ushort Protocol;
        public int IfIndex;
        public ushort HaType;
        public byte PktType;
        public byte HaLen;
        public ulong Addr;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PacketMreq
    {
        public int IfIndex;
        public ushort Type;
        public ushort ALen;
        public ulong Address;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int bind(int fd, SockAddrLl* addr, int len);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setsockopt(int fd, int level, int name, void* value, int len);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int poll(PollFd* fds, nuint n, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recvfrom(int fd, byte* buf, nuint len, int flags, SockAddrLl* from, int* fromLen);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint send(int fd, byte* buf, nuint len, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial uint if_nametoindex(string name);
}
