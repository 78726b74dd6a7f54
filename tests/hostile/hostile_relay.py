#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""hostile_relay.py: a wire-v1 relay that misbehaves on purpose, one mode at a time.

It speaks wire-v1 sections 1 and 2 like sotto-relay (member ids from 1,
forwarding with `from` overwritten, unicast by `to`, the relay's roster INI
after a joiner's first INI, LEFT when a member goes) and, while tampering is
on, applies exactly one fault MODE to the frames it forwards. Every frame
copy it writes to a member, and every copy it withholds, is logged as one
JSON line in --log, so a test can tell exactly which copies were honest and
which were faults:

  {"ev":"copy","kind":K,"type":"DAT","src":S,"dst":D,"seq":N,...}

kind "ok" is an honest copy; any other kind is a fault (see MODES). `seq`
numbers the DATs the relay received from S (1, 2, ...), so a test that
knows the order S sent its lines knows which line a copy carries. The log
holds no body byte, only offsets and lengths (--capture DIR, for fuzz seeds,
is the one way bodies leave it). The modes that hit DATs tamper with every
--every-th copy to a member (default 2), so honest and tampered frames
interleave; the KEY modes with the first --key-faults KEYs to a member.
--faults caps the total.

The chunk modes (drop-chunk, dup-chunk, reorder-chunk, flip-chunk) hit
file chunks, which the relay cannot tell from other DATs by content: a
chunk DAT is one addressed to one member (`to` != 0) whose body is longer
than any text DAT can be (CHUNK_BODY_MIN). They act once, on the --chunk
K-th such frame the relay forwards (counted over all members), and log
`chunk` (K) in its copy record; with --chunk-every M they act again on
the K+M-th, K+2M-th, ... (within --faults).

Control on stdin, one word a line: `honest` stops tampering (held frames
are released in order first), acknowledged by {"ev":"honest"} in the log.
SIGTERM/SIGINT exit 0. Python stdlib only.

--upstream HOST:PORT[,...] makes it a tampering proxy in front of real
relays (the members of a sotto-relay cluster): connection i is passed to
the i-th address in turn, frames from the client go upstream untouched,
and every frame the real relay sends the client goes through the same
fault modes as routed copies would (ids are the real relay's, learnt from
its roster answer; `seq` matches a DAT copy to the DAT it came from).
"""

import argparse
import asyncio
import base64
import json
import os
import random
import signal
import struct
import sys
import unicodedata

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from sottotest import DAT as T_DAT, INI as T_INI, KEY as T_KEY, LEFT as T_LEFT  # noqa: E402
from sottotest import LEN_MIN, TYPE_NAMES as TNAME, async_read_frame, frame  # noqa: E402
ROOM_MAX = 64
DAT_LOG_MAX = 64                # DATs per room kept for replay-newcomer
# A DAT body longer than this is a file chunk: the largest text DAT body
# is SOTTO_DAT2_FIXED + SOTTO_DAT_PT_MAX = 178 + 16 644 = 16 822 bytes
# (shared/wire.h); a full chunk's is over 61 440 (SOTTO_FILE_CHUNK,
# shared/wire-files.h), and every chunk but a file's last is full.
CHUNK_BODY_MIN = 17000

# mode -> what it does to the copies it tampers with (kind logged per copy)
MODES = {
    "none":            "honest relay (baseline)",
    "flip-dat":        "flip one bit of a DAT body (kind flip; --flip-at: offsets)",
    "flip-key":        "flip one bit in the first --key-faults KEYs to each member (kind flip)",
    "replay-later":    "re-send an earlier DAT to its recipient later (kind replay)",
    "replay-newcomer": "send DATs recorded before a join to the newcomer (kind stale-replay)",
    "dup-dat":         "deliver a DAT copy twice (second copy kind dup)",
    "rewrite-from":    "rewrite `from` of a DAT to another member's id (kind from)",
    "misdirect-key":   "also deliver a KEY meant for A to B, `to` rewritten (kind misdirect)",
    "drop-key":        "drop the first --key-faults KEYs to each member (kind drop)",
    "truncate-dat":    "truncate a DAT body, `len` fixed up (kind trunc)",
    "truncate-key":    "truncate the first --key-faults KEYs to each member (kind trunc)",
    "forge":           "inject a well-formed DAT signed by an untrusted key (kind forged)",
    "reorder":         "hold a DAT and deliver it after the sender's next one (kind late)",
    "copy-unicast":    "also deliver every DAT addressed to one member (a direct message) to every other member, verbatim (kind copy)",
    "drop-chunk":      "withhold the --chunk K-th file chunk (kind drop)",
    "dup-chunk":       "deliver the --chunk K-th file chunk twice (second copy kind dup)",
    "reorder-chunk":   "hold the --chunk K-th file chunk, deliver it after the sender's next chunk to that member (kind late)",
    "flip-chunk":      "flip one byte (xor 0xff) in the middle of the --chunk K-th file chunk (kind flip)",
}


class Violation(Exception):
    pass


class Member:
    def __init__(self, mid, writer):
        self.id = mid
        self.writer = writer
        self.room = None
        self.dat_seq = 0        # DATs received from this member
        self.keys_in = 0        # KEYs routed to this member
        self.eligible = 0       # copies to this member a mode could tamper with
        self.history = []       # replay-later: [src, to, body, seq, replayed]
        self.held = {}          # reorder: src id -> (to, body, seq)
        self.held_chunk = {}    # reorder-chunk: src id -> (to, body, seq, K)


def room_ok(name):
    try:
        s = name.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        return False
    return all(unicodedata.category(ch) != "Cc" for ch in s)


def parse_room(body):
    if len(body) < 1:
        raise Violation("empty INI body")
    n = body[0]
    if n < 1 or n > ROOM_MAX or len(body) < 1 + n:
        raise Violation("bad room length %d" % n)
    name = body[1:1 + n]
    if not room_ok(name):
        raise Violation("bad room name")
    return name


def load_names(folder):
    """name -> raw Ed25519 public key, from the *.pub files of a folder."""
    names = {}
    for fn in sorted(os.listdir(folder)):
        if fn.endswith(".pub"):
            with open(os.path.join(folder, fn)) as f:
                blob = base64.b64decode(f.read().split()[1])
            names[fn[:-4]] = blob[-32:]
    return names


class Relay:
    def __init__(self, args):
        self.mode = args.mode
        self.every = max(1, args.every)
        self.budget = args.faults
        self.rng = random.Random(args.seed)
        self.max_frame = args.max_frame
        self.logf = open(args.log, "a", buffering=1)
        self.forged = open(args.forge_body, "rb").read() if args.forge_body else None
        if self.mode == "forge" and not self.forged:
            sys.exit("hostile_relay: mode forge needs --forge-body")
        self.names = load_names(args.names) if args.names else {}
        self.flip_at = [int(x) for x in args.flip_at.split(",")] if args.flip_at else []
        self.flips = 0
        self.capture_dir = args.capture
        self.captured = 0
        self.key_faults = args.key_faults
        self.chunk_k = args.chunk
        self.chunk_every = args.chunk_every
        self.chunks = 0         # chunk DATs forwarded so far (all members)
        self.tampering = self.mode != "none"
        self.next_id = 1
        self.rooms = {}         # room bytes -> {id: Member}
        self.upstream = [(h, int(p)) for h, _, p in
                         (a.rpartition(":") for a in args.upstream.split(","))] \
            if args.upstream else []
        self.conns = 0
        self.members = {}       # proxy mode: real id -> Member
        self.seqs = {}          # proxy mode: (src id, DAT body) -> seq
        self.dat_log = {}       # room bytes -> [(src, to, body, seq)]
        self.stop = None

    # --- logging and writing ------------------------------------------------
    def emit(self, **rec):
        self.logf.write(json.dumps(rec, sort_keys=True) + "\n")

    def write(self, dst, ftype, frm, to, body):
        if dst.writer.is_closing():
            return False
        dst.writer.write(frame(ftype, to, body, frm))
        return True

    def copy(self, dst, ftype, frm, to, body, kind, src, seq, **extra):
        """Write one frame copy to dst and log it (kind "ok" = honest)."""
        if not self.write(dst, ftype, frm, to, body):
            kind = kind + "-unsent"
        self.emit(ev="copy", kind=kind, type=TNAME[ftype], src=src, dst=dst.id,
                  seq=seq, wire_from=frm, to=to, len=len(body), **extra)

    def take_fault(self):
        """One unit of the fault budget, if tampering is on and any is left."""
        if not self.tampering or self.budget == 0:
            return False
        self.budget -= 1
        return True

    def eligible(self, dst):
        """Every `every`-th eligible copy to a member is tampered with, so
        honest and tampered frames interleave."""
        dst.eligible += 1
        return (dst.eligible - 1) % self.every == 0

    def other_member(self, room, exclude):
        ids = sorted(i for i in self.rooms[room] if i not in exclude)
        return self.rooms[room][ids[0]] if ids else None

    # --- routing --------------------------------------------------------------
    def route(self, src, ftype, to, body):
        room = self.rooms[src.room]
        seq = None
        if ftype == T_DAT:
            src.dat_seq += 1
            seq = src.dat_seq
            if to == 0:
                log = self.dat_log.setdefault(src.room, [])
                log.append((src.id, to, body, seq))
                del log[:-DAT_LOG_MAX]
        if to == 0:
            dsts = [room[i] for i in sorted(room) if i != src.id]
        elif to in room and to != src.id:
            dsts = [room[to]]
        else:
            self.emit(ev="dropped", type=TNAME[ftype], src=src.id, to=to, seq=seq)
            return
        for dst in dsts:
            self.deliver(src, dst, ftype, to, body, seq)

    def deliver(self, src, dst, ftype, to, body, seq):
        """One copy of src's frame to dst, through the fault mode."""
        if ftype == T_KEY:
            dst.keys_in += 1
        handler = getattr(self, "m_" + self.mode.replace("-", "_"), None)
        if handler is None or not handler(src, dst, ftype, to, body, seq):
            self.copy(dst, ftype, src.id, to, body, "ok", src.id, seq)
            if ftype == T_DAT and self.mode == "replay-later":
                self.replay_later(src, dst, to, body, seq)

    # --- the fault modes: each returns True when it handled the copy ---------
    def flip(self, src, dst, ftype, to, body, seq):
        if not body or not self.take_fault():
            return False
        off = self.rng.randrange(len(body))
        if self.flip_at:
            want = self.flip_at[self.flips % len(self.flip_at)]
            if want < len(body):
                off = want
        self.flips += 1
        bit = self.rng.randrange(8)
        bad = bytearray(body)
        bad[off] ^= 1 << bit
        self.copy(dst, ftype, src.id, to, bytes(bad), "flip", src.id, seq,
                  offset=off, bit=bit)
        return True

    def m_flip_dat(self, src, dst, ftype, to, body, seq):
        return ftype == T_DAT and self.eligible(dst) and \
            self.flip(src, dst, ftype, to, body, seq)

    def m_flip_key(self, src, dst, ftype, to, body, seq):
        return ftype == T_KEY and dst.keys_in <= self.key_faults and \
            self.flip(src, dst, ftype, to, body, seq)

    def truncate(self, src, dst, ftype, to, body, seq):
        if not body or not self.take_fault():
            return False
        n = self.rng.randrange(len(body))
        self.copy(dst, ftype, src.id, to, body[:n], "trunc", src.id, seq,
                  orig_len=len(body))
        return True

    def m_truncate_dat(self, src, dst, ftype, to, body, seq):
        return ftype == T_DAT and self.eligible(dst) and \
            self.truncate(src, dst, ftype, to, body, seq)

    def m_truncate_key(self, src, dst, ftype, to, body, seq):
        return ftype == T_KEY and dst.keys_in <= self.key_faults and \
            self.truncate(src, dst, ftype, to, body, seq)

    def m_drop_key(self, src, dst, ftype, to, body, seq):
        if ftype != T_KEY or dst.keys_in > self.key_faults or not self.take_fault():
            return False
        self.emit(ev="copy", kind="drop", type="KEY", src=src.id, dst=dst.id,
                  seq=seq, wire_from=src.id, to=to, len=len(body))
        return True

    def m_misdirect_key(self, src, dst, ftype, to, body, seq):
        if ftype != T_KEY:
            return False
        self.copy(dst, ftype, src.id, to, body, "ok", src.id, seq)
        other = self.other_member(src.room, {src.id, dst.id})
        if other is not None and self.take_fault():
            self.copy(other, ftype, src.id, other.id, body, "misdirect", src.id,
                      seq, meant_for=dst.id)
        return True

    def m_copy_unicast(self, src, dst, ftype, to, body, seq):
        # A relay that leaks: what is addressed to one member reaches all.
        if ftype != T_DAT or to == 0:
            return False
        self.copy(dst, ftype, src.id, to, body, "ok", src.id, seq)
        room = self.rooms[src.room]
        for i in sorted(room):
            if i not in (src.id, dst.id) and self.take_fault():
                self.copy(room[i], ftype, src.id, to, body, "copy", src.id, seq,
                          meant_for=dst.id)
        return True

    def m_dup_dat(self, src, dst, ftype, to, body, seq):
        if ftype != T_DAT:
            return False
        self.copy(dst, ftype, src.id, to, body, "ok", src.id, seq)
        if self.eligible(dst) and self.take_fault():
            self.copy(dst, ftype, src.id, to, body, "dup", src.id, seq)
        return True

    # --- the chunk modes: on the K-th chunk DAT (and every M-th after) ------
    def chunk_turn(self, ftype, to, body):
        """The number of this copy among chunk DATs, or None if it is not one."""
        if ftype != T_DAT or to == 0 or len(body) <= CHUNK_BODY_MIN:
            return None
        self.chunks += 1
        return self.chunks

    def chunk_target(self, ftype, to, body):
        """True when this copy is the --chunk K-th chunk DAT and the fault
        budget allows one more fault."""
        k = self.chunk_turn(ftype, to, body)
        if k is None or k < self.chunk_k:
            return False
        again = self.chunk_every > 0 and (k - self.chunk_k) % self.chunk_every == 0
        return (k == self.chunk_k or again) and self.take_fault()

    def m_drop_chunk(self, src, dst, ftype, to, body, seq):
        if not self.chunk_target(ftype, to, body):
            return False
        self.emit(ev="copy", kind="drop", type="DAT", src=src.id, dst=dst.id,
                  seq=seq, wire_from=src.id, to=to, len=len(body), chunk=self.chunks)
        return True

    def m_dup_chunk(self, src, dst, ftype, to, body, seq):
        if not self.chunk_target(ftype, to, body):
            return False
        self.copy(dst, ftype, src.id, to, body, "ok", src.id, seq, chunk=self.chunks)
        self.copy(dst, ftype, src.id, to, body, "dup", src.id, seq, chunk=self.chunks)
        return True

    def m_reorder_chunk(self, src, dst, ftype, to, body, seq):
        held = dst.held_chunk.get(src.id)
        if held is not None and ftype == T_DAT and to != 0 and \
                len(body) > CHUNK_BODY_MIN:
            # The sender's next chunk to this member overtakes the held one.
            del dst.held_chunk[src.id]
            self.chunk_turn(ftype, to, body)
            self.copy(dst, ftype, src.id, to, body, "ok", src.id, seq,
                      chunk=self.chunks)
            self.copy(dst, T_DAT, src.id, held[0], held[1], "late", src.id, held[2],
                      chunk=held[3])
            return True
        if not self.chunk_target(ftype, to, body):
            return False
        dst.held_chunk[src.id] = (to, body, seq, self.chunks)
        self.emit(ev="held", src=src.id, dst=dst.id, seq=seq, chunk=self.chunks)
        return True

    def m_flip_chunk(self, src, dst, ftype, to, body, seq):
        if not self.chunk_target(ftype, to, body):
            return False
        off = len(body) // 2            # inside the ciphertext of any chunk
        bad = bytearray(body)
        bad[off] ^= 0xff
        self.copy(dst, ftype, src.id, to, bytes(bad), "flip", src.id, seq,
                  offset=off, byte=True, chunk=self.chunks)
        return True

    def replay_later(self, src, dst, to, body, seq):
        """After a DAT reaches dst, re-send one that reached it at least two
        DATs earlier (each original at most once)."""
        dst.history.append([src.id, to, body, seq, False])
        for h in dst.history[:-2]:
            if not h[4]:
                if self.eligible(dst) and self.take_fault():
                    h[4] = True
                    self.copy(dst, T_DAT, h[0], h[1], h[2], "replay", h[0], h[3])
                break

    def m_rewrite_from(self, src, dst, ftype, to, body, seq):
        if ftype != T_DAT or not self.eligible(dst):
            return False
        # Another member's id; in a room of two, the recipient's own id.
        other = self.other_member(src.room, {src.id, dst.id}) or dst
        if not self.take_fault():
            return False
        self.copy(dst, ftype, other.id, to, body, "from", src.id, seq)
        return True

    def m_forge(self, src, dst, ftype, to, body, seq):
        if ftype != T_DAT:
            return False
        self.copy(dst, ftype, src.id, to, body, "ok", src.id, seq)
        if self.eligible(dst) and self.take_fault():
            # Claims to come from the honest sender's member id.
            self.copy(dst, T_DAT, src.id, 0, self.forged, "forged", src.id, None)
        return True

    def m_reorder(self, src, dst, ftype, to, body, seq):
        if ftype != T_DAT:
            return False
        held = dst.held.pop(src.id, None)
        if held is not None:
            self.copy(dst, ftype, src.id, to, body, "ok", src.id, seq)
            self.copy(dst, T_DAT, src.id, held[0], held[1], "late", src.id, held[2])
            return True
        if self.eligible(dst) and self.take_fault():
            dst.held[src.id] = (to, body, seq)
            self.emit(ev="held", src=src.id, dst=dst.id, seq=seq)
            return True
        return False

    def release_held(self, member=None):
        """Deliver held frames in order (no later frame of theirs went out
        yet): on `honest`, when the sender leaves, or before a reader goes."""
        for room in self.rooms.values():
            for dst in room.values():
                for sid in list(dst.held):
                    if member is None or sid == member.id or dst is member:
                        to, body, seq = dst.held.pop(sid)
                        self.copy(dst, T_DAT, sid, to, body, "ok", sid, seq,
                                  delayed=True)
                for sid in list(dst.held_chunk):
                    if member is None or sid == member.id or dst is member:
                        to, body, seq, k = dst.held_chunk.pop(sid)
                        self.copy(dst, T_DAT, sid, to, body, "ok", sid, seq,
                                  delayed=True, chunk=k)

    def replay_to_newcomer(self, m):
        if self.mode != "replay-newcomer":
            return
        for sid, to, body, seq in list(self.dat_log.get(m.room, [])):
            if not self.take_fault():
                break
            self.copy(m, T_DAT, sid, to, body, "stale-replay", sid, seq)

    def capture(self, ftype, body):
        """--capture DIR: keep received bodies (fuzz seeds from real frames)."""
        if self.capture_dir:
            self.captured += 1
            name = "%s_%04d" % (TNAME[ftype].lower(), self.captured)
            with open(os.path.join(self.capture_dir, name), "wb") as f:
                f.write(body)

    def who(self, body):
        """Name of the --names key whose 32 public-key bytes occur in a first
        INI: lets a test map member ids to its clients without depending on
        the INI layout or on connect order (public data only)."""
        for name, pub in self.names.items():
            if pub in body:
                return name
        return None

    # --- connections ----------------------------------------------------------
    async def read_frame(self, reader):
        f = await async_read_frame(reader, self.check_header)
        return f.type, f.to, f.body

    def check_header(self, flen, ver, ftype, hdr):
        if flen < LEN_MIN or flen > self.max_frame:
            raise Violation("len %d out of bounds" % flen)
        if ver != 1:
            raise Violation("ver %d" % ver)
        if ftype not in (T_INI, T_KEY, T_DAT):
            raise Violation("type %d" % ftype)

    def join(self, m, to, body, room):
        m.room = room
        members = self.rooms.setdefault(room, {})
        others = sorted(members)
        members[m.id] = m
        self.emit(ev="join", id=m.id, room=room.decode("utf-8"), count=len(others),
                  name=self.who(body))
        self.route(m, T_INI, to, body)
        roster = bytes([len(room)]) + room + struct.pack(">I", len(others)) + \
            b"".join(struct.pack(">I", i) for i in others)
        self.write(m, T_INI, 0, m.id, roster)
        self.replay_to_newcomer(m)

    def leave(self, m):
        if m.room is None:
            return
        self.release_held(m)
        room = self.rooms[m.room]
        del room[m.id]
        for i in sorted(room):
            self.write(room[i], T_LEFT, 0, 0, struct.pack(">I", m.id))
        self.emit(ev="left", id=m.id)
        if not room:
            del self.rooms[m.room]
            self.dat_log.pop(m.room, None)
        m.room = None

    async def serve(self, reader, writer):
        m = Member(self.next_id, writer)
        self.next_id += 1
        self.emit(ev="accept", id=m.id)
        try:
            while True:
                ftype, to, body = await self.read_frame(reader)
                self.emit(ev="recv", type=TNAME[ftype], src=m.id, to=to,
                          len=len(body))
                self.capture(ftype, body)
                if m.room is None:
                    if ftype != T_INI:
                        raise Violation("first frame is not an INI")
                    self.join(m, to, body, parse_room(body))
                    continue
                if ftype == T_INI and parse_room(body) != m.room:
                    raise Violation("INI for another room")
                self.route(m, ftype, to, body)
        except Violation as e:
            self.emit(ev="violation", id=m.id, reason=str(e))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except asyncio.CancelledError:
            pass            # shutting down: leave quietly
        finally:
            self.leave(m)
            writer.close()

    # --- proxy mode (--upstream) ------------------------------------------
    def from_upstream(self, m, f):
        """A frame the real relay sent to client m."""
        if m.id is None:
            if f.type != T_INI or f.frm != 0:
                raise Violation("upstream sent type %d before the roster" % f.type)
            m.id = f.to
            count = struct.unpack(">I", f.body[1 + f.body[0]:5 + f.body[0]])[0]
            self.rooms.setdefault(m.room, {})[m.id] = m
            self.members[m.id] = m
            self.emit(ev="join", id=m.id, room=m.room.decode("utf-8"), count=count,
                      name=self.who(m.first_ini))
            self.write(m, T_INI, 0, m.id, f.body)
            self.replay_to_newcomer(m)
            return
        if f.type == T_LEFT or f.frm == 0:
            self.write(m, f.type, f.frm, f.to, f.body)
            return
        src = self.members.get(f.frm)
        if src is None:         # a member that is not behind this proxy
            src = Member(f.frm, None)
            src.room = m.room
        seq = self.seqs.get((f.frm, f.body)) if f.type == T_DAT else None
        self.deliver(src, m, f.type, f.to, f.body, seq)

    def from_client(self, m, ftype, to, body):
        """A frame client m sent: recorded, then passed upstream unchanged."""
        if m.room is None:
            if ftype != T_INI:
                raise Violation("first frame is not an INI")
            m.room = parse_room(body)
            m.first_ini = body
        elif ftype == T_DAT:
            m.dat_seq += 1
            self.seqs[(m.id, body)] = m.dat_seq
            if to == 0:
                log = self.dat_log.setdefault(m.room, [])
                log.append((m.id, to, body, m.dat_seq))
                del log[:-DAT_LOG_MAX]
        m.up.write(frame(ftype, to, body))

    async def serve_proxy(self, reader, writer):
        host, port = self.upstream[self.conns % len(self.upstream)]
        self.conns += 1
        m = Member(None, writer)
        m.first_ini = b""
        self.emit(ev="accept", id=None, upstream=port)
        down = None
        try:
            up_r, m.up = await asyncio.open_connection(host, port)

            async def downstream():
                while True:
                    self.from_upstream(m, await async_read_frame(up_r))
            down = asyncio.ensure_future(downstream())
            up = asyncio.ensure_future(self.read_frame(reader))
            while True:
                done, _ = await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
                if down in done:
                    down.result()           # upstream ended or broke: raises
                    break
                ftype, to, body = up.result()
                self.emit(ev="recv", type=TNAME[ftype], src=m.id, to=to, len=len(body))
                self.capture(ftype, body)
                self.from_client(m, ftype, to, body)
                up = asyncio.ensure_future(self.read_frame(reader))
        except Violation as e:
            self.emit(ev="violation", id=m.id, reason=str(e))
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            for t in (down,):
                if t is not None:
                    t.cancel()
            if getattr(m, "up", None) is not None:
                m.up.close()
            if m.id is not None:
                self.release_held(m)
                self.rooms.get(m.room, {}).pop(m.id, None)
                self.emit(ev="left", id=m.id)
            writer.close()

    def control(self):
        line = sys.stdin.readline()
        if not line:
            asyncio.get_running_loop().remove_reader(sys.stdin.fileno())
            return
        if line.strip() == "honest":
            self.tampering = False
            self.release_held()
            self.emit(ev="honest", budget_left=self.budget)

    async def main(self, host, port):
        loop = asyncio.get_running_loop()
        self.stop = loop.create_future()
        for s in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(s, lambda: self.stop.done() or self.stop.set_result(0))
        loop.add_reader(sys.stdin.fileno(), self.control)
        server = await asyncio.start_server(
            self.serve_proxy if self.upstream else self.serve, host, port)
        bound = server.sockets[0].getsockname()[1]
        self.emit(ev="listen", port=bound, mode=self.mode)
        print(bound, flush=True)
        async with server:
            await self.stop
        return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="modes:\n" + "\n".join(
                                     "  %-16s %s" % kv for kv in MODES.items()))
    ap.add_argument("--listen", default="127.0.0.1:0")
    ap.add_argument("--log", required=True, help="JSON-lines fault log")
    ap.add_argument("--mode", choices=sorted(MODES), default="none")
    ap.add_argument("--faults", type=int, default=-1,
                    help="fault budget (-1: until `honest` on stdin)")
    ap.add_argument("--every", type=int, default=2,
                    help="tamper with every N-th eligible copy to a member")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-frame", type=int, default=1024 * 1024)
    ap.add_argument("--flip-at", help="comma-separated body offsets the flip "
                    "modes use in turn (random where the body is shorter)")
    ap.add_argument("--key-faults", type=int, default=1,
                    help="KEY modes: tamper with the first N KEYs to each member")
    ap.add_argument("--chunk", type=int, default=1,
                    help="chunk modes: act on the K-th chunk DAT (from 1)")
    ap.add_argument("--chunk-every", type=int, default=0,
                    help="chunk modes: and again on every M-th after it (0: once)")
    ap.add_argument("--capture", help="write every received body to this folder")
    ap.add_argument("--names", help="folder of NAME.pub files: log joins by name")
    ap.add_argument("--forge-body", help="file with a forged DAT body (mode forge)")
    ap.add_argument("--upstream", help="HOST:PORT[,...]: tamper as a proxy in front "
                    "of real relays (connection i to the i-th in turn)")
    args = ap.parse_args()
    host, _, port = args.listen.rpartition(":")
    relay = Relay(args)
    sys.exit(asyncio.run(relay.main(host, int(port))))


if __name__ == "__main__":
    main()
