package dev.stanch.netpol;

import com.google.common.net.InetAddresses;
import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Objects;

/**
 * A contiguous range of IPv4 or IPv6 addresses, {@code first..last} inclusive. External peers are
 * ranges: a single address is a range of one, a CIDR is a range, and the connectivity report cuts
 * the address space into ranges that the policies treat alike.
 *
 * @param ipv6 the address family
 * @param first the first address, as an unsigned number
 * @param last the last address, as an unsigned number, not below {@code first}
 */
public record IpRange(boolean ipv6, BigInteger first, BigInteger last) implements Comparable<IpRange> {

    private static final BigInteger MAX_V4 = BigInteger.ONE.shiftLeft(32).subtract(BigInteger.ONE);
    private static final BigInteger MAX_V6 = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);

    public IpRange {
        Objects.requireNonNull(first, "first");
        Objects.requireNonNull(last, "last");
        BigInteger max = ipv6 ? MAX_V6 : MAX_V4;
        if (first.signum() < 0 || last.compareTo(max) > 0 || first.compareTo(last) > 0) {
            throw new IllegalArgumentException("not an address range: " + first + "-" + last);
        }
    }

    /** The whole IPv4 ({@code 0.0.0.0/0}) or IPv6 ({@code ::/0}) space. */
    public static IpRange everything(boolean ipv6) {
        return new IpRange(ipv6, BigInteger.ZERO, ipv6 ? MAX_V6 : MAX_V4);
    }

    /** One address, e.g. {@code 10.0.0.1} or {@code 2001:db8::1}. */
    public static IpRange address(String literal) {
        InetAddress address;
        try {
            address = InetAddresses.forString(literal.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not an IP address: '" + literal + "'", e);
        }
        return of(address);
    }

    /** One address. */
    public static IpRange of(InetAddress address) {
        BigInteger value = new BigInteger(1, address.getAddress());
        return new IpRange(address instanceof Inet6Address, value, value);
    }

    /**
     * A CIDR such as {@code 10.0.0.0/8} or {@code fd00::/8}. Host bits below the prefix are ignored,
     * as the API server does for NetworkPolicy ipBlocks.
     */
    public static IpRange cidr(String cidr) {
        String text = cidr.strip();
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not a CIDR (no prefix length): '" + cidr + "'");
        }
        InetAddress address;
        int prefix;
        try {
            address = InetAddresses.forString(text.substring(0, slash));
            prefix = Integer.parseInt(text.substring(slash + 1));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a CIDR: '" + cidr + "'", e);
        }
        boolean ipv6 = address instanceof Inet6Address;
        int bits = ipv6 ? 128 : 32;
        if (prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("prefix length out of range in '" + cidr + "'");
        }
        BigInteger hostMask = BigInteger.ONE.shiftLeft(bits - prefix).subtract(BigInteger.ONE);
        BigInteger value = new BigInteger(1, address.getAddress());
        BigInteger first = value.andNot(hostMask);
        return new IpRange(ipv6, first, first.or(hostMask));
    }

    public boolean isSingleAddress() {
        return first.equals(last);
    }

    /** True when every address of {@code other} lies in this range. */
    public boolean contains(IpRange other) {
        return ipv6 == other.ipv6 && first.compareTo(other.first) <= 0 && last.compareTo(other.last) >= 0;
    }

    public boolean overlaps(IpRange other) {
        return ipv6 == other.ipv6 && first.compareTo(other.last) <= 0 && other.first.compareTo(last) <= 0;
    }

    /** The first address, as an {@link InetAddress}. */
    public InetAddress firstAddress() {
        return toAddress(first);
    }

    public InetAddress lastAddress() {
        return toAddress(last);
    }

    BigInteger max() {
        return ipv6 ? MAX_V6 : MAX_V4;
    }

    private InetAddress toAddress(BigInteger value) {
        int length = ipv6 ? 16 : 4;
        byte[] raw = value.toByteArray();
        byte[] bytes = new byte[length];
        // toByteArray is big-endian and may carry a leading sign byte or be shorter than the address.
        int copy = Math.min(raw.length, length);
        System.arraycopy(raw, raw.length - copy, bytes, length - copy, copy);
        try {
            // Inet6Address.getByAddress keeps IPv4-mapped IPv6 addresses IPv6, where
            // InetAddress.getByAddress would turn them into IPv4 ones.
            return ipv6 ? Inet6Address.getByAddress(null, bytes, -1) : InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("cannot happen for " + Arrays.toString(bytes), e);
        }
    }

    /** IPv4 ranges sort before IPv6 ranges, then by first address. */
    @Override
    public int compareTo(IpRange other) {
        if (ipv6 != other.ipv6) {
            return ipv6 ? 1 : -1;
        }
        int byFirst = first.compareTo(other.first);
        return byFirst != 0 ? byFirst : last.compareTo(other.last);
    }

    /**
     * {@code first-last} in textual form, as np-guard prints ranges: {@code 10.0.0.0-10.255.255.255}.
     */
    @Override
    public String toString() {
        return InetAddresses.toAddrString(firstAddress()) + "-" + InetAddresses.toAddrString(lastAddress());
    }
}
