"""PNG reading and writing for the Python test harnesses, in pure Python (zlib only), so no
script needs an imaging library. The reader is strict: a truncated file, a bad CRC, a bad zlib
stream or missing IEND raise `PNGError` (the crash tests rely on that to spot torn files). It
decodes non-interlaced PNGs of any colour type at 8 or 16 bits; the writer makes 8-bit grey PNGs.

    >>> width, height, depth, colour, rows = read_png(grey_png(2, 1, [0, 255]))
    >>> rows
    [[(0,), (255,)]]
"""

import struct
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


class PNGError(Exception):
    """Bytes that are not a complete, valid PNG this module can read."""


def chunk(kind, body):
    """One PNG chunk: length, type, body and CRC."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_size(data):
    """(width, height) from the header; the first 24 bytes are enough."""
    if data[:8] != SIGNATURE or data[12:16] != b"IHDR":
        raise PNGError("not a PNG (%d bytes)" % len(data))
    return struct.unpack(">II", data[16:24])


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode(data):
    """(width, height, bit_depth, colour_type, channels, lines): `lines` are the unfiltered rows as
    bytearrays (16-bit samples big-endian, as stored)."""
    if data[:8] != SIGNATURE:
        raise PNGError("bad PNG signature (%d bytes)" % len(data))
    pos, idat, header, ended = 8, [], None, False
    while pos < len(data):
        if pos + 8 > len(data):
            raise PNGError("truncated chunk header")
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = data[pos + 8 + length:pos + 12 + length]
        if len(body) != length or len(crc) != 4:
            raise PNGError("truncated %r chunk" % kind)
        if struct.unpack(">I", crc)[0] != zlib.crc32(kind + body) & 0xFFFFFFFF:
            raise PNGError("bad CRC in %r chunk" % kind)
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            ended = True
            break
        pos += 12 + length
    if header is None or not ended:
        raise PNGError("missing IHDR or IEND")
    width, height, depth, colour, _, _, interlace = header
    channels = CHANNELS.get(colour)
    if depth not in (8, 16) or channels is None or interlace != 0:
        raise PNGError("unsupported PNG: bit depth %d, colour type %d, interlace %d" % (depth, colour, interlace))
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as error:
        raise PNGError("bad zlib stream: %s" % error)
    bpp = channels * depth // 8
    stride = width * bpp
    if len(raw) != height * (stride + 1):
        raise PNGError("pixel data has %d bytes, expected %d" % (len(raw), height * (stride + 1)))
    previous = bytearray(stride)
    lines = []
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            for i in range(stride):
                line[i] = (line[i] + previous[i]) & 0xFF
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                corner = previous[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + _paeth(left, previous[i], corner)) & 0xFF
        elif kind != 0:
            raise PNGError("unknown filter type %d in row %d" % (kind, y))
        lines.append(line)
        previous = line
    return width, height, depth, colour, channels, lines


def read_png(data):
    """(width, height, bit_depth, colour_type, rows): each row a list of per-pixel tuples of
    channel values. Palette images keep their indices."""
    width, height, depth, colour, channels, lines = decode(data)
    rows = []
    for line in lines:
        values = list(line) if depth == 8 else [line[k] << 8 | line[k + 1] for k in range(0, len(line), 2)]
        rows.append([tuple(values[x * channels:(x + 1) * channels]) for x in range(width)])
    return width, height, depth, colour, rows


def luminance_rows(data):
    """(width, height, max_value, rows of ints): grey as is, colour as 0.299 R + 0.587 G + 0.114 B."""
    width, height, depth, colour, rows = read_png(data)
    out = []
    for row in rows:
        if colour in (2, 6):
            out.append([round(0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]) for p in row])
        else:
            out.append([p[0] for p in row])
    return width, height, (1 << depth) - 1, out


def mask_bits(data):
    """(bits, width, height) of an 8-bit mask (grey, grey+alpha or RGB): 1 where the first channel
    is over 127, as 0/1 bytes, row-major."""
    width, height, depth, colour, channels, lines = decode(data)
    if depth != 8 or colour == 3:
        raise PNGError("not an 8-bit mask: bit depth %d, colour type %d" % (depth, colour))
    out = bytearray()
    for line in lines:
        out += bytes(1 if line[i] > 127 else 0 for i in range(0, len(line), channels))
    return bytes(out), width, height


def grey_png(width, height, pixels, declared=None):
    """An 8-bit grey PNG from `pixels`, width * height values row-major; `declared` writes another
    (width, height) into the header without more data (a decompression bomb)."""
    pixels = bytes(pixels)
    raw = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))
    w, h = declared or (width, height)
    return (SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
