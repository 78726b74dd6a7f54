# SPDX-License-Identifier: ISC
"""wire: the wire-v1 frame codec (../shared/design/wire-v1.md §1, shared/wire.h).

A frame is a 14-byte header `len u32, ver u8, type u8, from u32, to u32`
(big-endian; len counts everything after itself, so len = 10 + body) and
the body.
"""
import struct
from collections import namedtuple

INI, KEY, DAT, LEFT = 1, 2, 3, 4
TYPE_NAMES = {INI: "INI", KEY: "KEY", DAT: "DAT", LEFT: "LEFT"}
HDR = struct.Struct(">IBBII")   # len, ver, type, from, to
HDR_LEN = 14
LEN_MIN = 10                     # len of an empty body

Frame = namedtuple("Frame", "ver type frm to body")


def frame(ftype, to=0, body=b"", frm=0, ver=1, length=None):
    """Encode one frame; `length` forces the len field (for bad frames)."""
    if length is None:
        length = LEN_MIN + len(body)
    return HDR.pack(length, ver, ftype, frm, to) + body


def room_prefix(room):
    """The INI body's room prefix: room_len u8 and the room's bytes."""
    if isinstance(room, str):
        room = room.encode()
    return bytes([len(room)]) + room


def split_frame(buf):
    """(Frame, raw bytes, rest of buf) when buf starts with a whole frame,
    else (None, b"", buf)."""
    if len(buf) >= 4:
        n = struct.unpack(">I", buf[:4])[0]
        if len(buf) >= 4 + n and n >= LEN_MIN:
            raw = buf[:4 + n]
            _, ver, ftype, frm, to = HDR.unpack(raw[:HDR_LEN])
            return Frame(ver, ftype, frm, to, raw[HDR_LEN:]), raw, buf[4 + n:]
    return None, b"", buf


def read_frame(f):
    """Read one frame from a binary file object: (Frame, raw bytes), or
    (None, b"") at end of stream (also mid-frame)."""
    hdr = f.read(HDR_LEN)
    if len(hdr) < HDR_LEN:
        return None, b""
    n, ver, ftype, frm, to = HDR.unpack(hdr)
    want = max(n - LEN_MIN, 0)
    body = f.read(want)
    if len(body) < want:
        return None, b""
    return Frame(ver, ftype, frm, to, body), hdr + body


async def async_read_frame(reader, check_header=None):
    """Read one frame from an asyncio StreamReader. check_header(n, ver,
    type), if given, sees the header before the body is read and may
    raise. asyncio.IncompleteReadError at end of stream."""
    hdr = await reader.readexactly(HDR_LEN)
    n, ver, ftype, frm, to = HDR.unpack(hdr)
    if check_header is not None:
        check_header(n, ver, ftype, hdr)
    body = await reader.readexactly(max(n - LEN_MIN, 0))
    return Frame(ver, ftype, frm, to, body)
