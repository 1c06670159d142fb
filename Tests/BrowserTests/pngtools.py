"""Minimal PNG reading and writing in pure Python (zlib only), so the browser test needs no
imaging library: decode non-interlaced PNGs of any colour type at 8 or 16 bits into rows of
luminance values, and encode 8-bit grey PNGs."""

import struct
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


class PNGError(Exception):
    pass


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def read_png(data):
    """Returns (width, height, bit_depth, colour_type, samples) where samples is a list of rows,
    each a list of per-pixel tuples of channel values. Palette images keep indices."""
    if not data.startswith(SIGNATURE):
        raise PNGError("not a PNG (bad signature)")
    pos = len(SIGNATURE)
    header = None
    idat = bytearray()
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise PNGError(f"bad CRC in {kind!r} chunk")
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None:
        raise PNGError("no IHDR chunk")
    width, height, depth, colour, _, _, interlace = header
    if interlace:
        raise PNGError("interlaced PNGs are not supported by this test helper")
    if depth not in (8, 16):
        raise PNGError(f"bit depth {depth} is not supported by this test helper")
    channels = CHANNELS[colour]
    bpp = channels * depth // 8
    stride = width * bpp
    raw = zlib.decompress(bytes(idat))
    if len(raw) != height * (stride + 1):
        raise PNGError(f"image data has {len(raw)} bytes, expected {height * (stride + 1)}")
    previous = bytearray(stride)
    rows = []
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                line[i] = (line[i] + _paeth(a, b, c)) & 0xFF
            elif kind != 0:
                raise PNGError(f"unknown filter type {kind} in row {y}")
        previous = line
        if depth == 8:
            values = list(line)
        else:
            values = [line[k] << 8 | line[k + 1] for k in range(0, stride, 2)]
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


def write_grey_png(width, height, pixels):
    """8-bit grey PNG from a flat list/bytes of width*height values."""
    pixels = bytes(pixels)
    raw = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    return (SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
