// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

import {IRangeLedger} from "./interfaces/IRangeLedger.sol";
import {ICustodyLedger} from "./interfaces/ICustodyLedger.sol";
import {IDrugRegistry} from "./interfaces/IDrugRegistry.sol";
import {IOrgRegistry} from "./interfaces/IOrgRegistry.sol";
import {SuiteMember} from "./common/SuiteMember.sol";
import {ShipmentStatus} from "./common/DrugTraceTypes.sol";

/**
 * @title RangeLedger - unit-level custody of batches committed without packing (issue 17 A.3, D9)
 * @notice Which organisation holds which codes of an unpacked batch, as ranges of unit indices
 * moved first-in first-out by the CustodyLedger's quantity shipments (see {IRangeLedger}).
 * @dev One slot per range, keyed by its first unit; one slot per (batch, holder) queue and per
 * shipment. The range holding a unit is found by a floor search over a four-level bitmap of range
 * starts (level 0: a bit per unit; level l: a bit per non-zero word of level l-1), so at most
 * seven slot reads whatever the batch size. Start 0 is never marked: it is always a range start,
 * the floor of every unit with no other start at or below it. Records and lists are packed by hand
 * into one word each so every read and write is exactly one SLOAD or SSTORE.
 */
contract RangeLedger is IRangeLedger, SuiteMember {
    /// @dev A range [start, end) in memory; `next` is the next range's start + 1 in its list (0: none).
    struct Range {
        uint256 end;
        uint256 next;
        uint256 gone;
        uint256 holderSeq; // HELD: the holder; TRANSIT, MISSING: the sender
        RangeState state;
        uint256 shipmentId;
    }

    /// @dev A list of ranges (a holder's queue, a shipment): first and last start + 1, and length.
    struct List {
        uint256 head;
        uint256 tail;
        uint256 count;
    }

    /// @dev A receipt in progress (memory: the stack is short).
    struct Receipt {
        bytes32 batchId;
        uint256 shipmentId;
        uint32 toSeq;
        uint256 need; // units still to credit to the receiver
    }

    uint256 private constant _MAX_SHIPMENT_RANGES = 16;
    uint256 private constant _MAX_STEPS = 64;
    uint256 private constant _MAX_SCAN_WORDS = 64;
    uint256 private constant _MAX_UNITS = 1 << 32;
    uint256 private constant _M40 = (1 << 40) - 1;

    ICustodyLedger private immutable _custody;
    IDrugRegistry private immutable _registry;
    /// @dev batch => start => packed Range
    mapping(bytes32 => mapping(uint256 => uint256)) private _ranges;
    /// @dev batch => holder seq => packed List (the holder's queue)
    mapping(bytes32 => mapping(uint256 => uint256)) private _queues;
    /// @dev shipment => packed List (its ranges while in transit: `count` from `head`, along `next`)
    mapping(uint256 => uint256) private _shipments;
    /// @dev batch => (level << 64 | word index) => bitmap word of range starts
    mapping(bytes32 => mapping(uint256 => uint256)) private _starts;

    modifier onlyCustody() {
        if (msg.sender != address(_custody)) revert RangeLedgerOnlyCustody(msg.sender);
        _;
    }

    /**
     * @dev Deployed by the CustodyLedger's constructor (`msg.sender`).
     * @param orgRegistry_ the suite's OrgRegistry.
     * @param registry the suite's DrugRegistry.
     */
    constructor(IOrgRegistry orgRegistry_, IDrugRegistry registry) SuiteMember(orgRegistry_) {
        _custody = ICustodyLedger(msg.sender);
        _registry = registry;
    }

    // ================================================================== writes

    /// @inheritdoc IRangeLedger
    function dispatchUnits(
        bytes32 batchId,
        uint256 unitCount,
        uint32 fromSeq,
        uint256 shipmentId,
        uint256 quantity,
        bool recount
    ) external override onlyCustody {
        mapping(uint256 => uint256) storage ranges = _ranges[batchId];
        List memory q = _unpackList(_queues[batchId][fromSeq]);
        if (q.head == 0 && ranges[0] == 0) {
            // the batch's first move: its MAH (the only holder yet) holds [0, n), not yet recorded
            if (unitCount > _MAX_UNITS) revert RangeLedgerBatchTooLarge(batchId, unitCount);
            q = List(1, 1, 1);
        }
        uint256[] memory bounds = new uint256[](2 * _MAX_SHIPMENT_RANGES);
        // the shipment's list: its first range (start + 1) and how many
        List memory sh = List(0, 0, 0);
        uint256 need = quantity;
        for (uint256 step = 0; need != 0; ++step) {
            if (q.head == 0) revert RangeLedgerShortOfUnits(batchId, _orgId(fromSeq), need);
            if (step == _MAX_STEPS || sh.count == _MAX_SHIPMENT_RANGES) {
                revert RangeLedgerTooFragmented(batchId, _orgId(fromSeq), sh.count);
            }
            uint256 start = q.head - 1;
            Range memory r = _load(ranges, start, unitCount, fromSeq);
            if (recount) r.gone = _goneIn(batchId, start, r.end, need);
            uint256 live = r.end - start - r.gone;
            if (live == 0 && sh.count == 0) {
                // a spent range at the head leaves the queue (its units are all gone)
                q.head = r.next;
                q.count -= 1;
                continue;
            }
            if (live > need) {
                // split: [start, split) ships, [split, end) stays at the head of the queue
                _split(batchId, ranges, start, r, need, RangeState.HELD, 0);
                if (q.tail == q.head) q.tail = r.next;
                live = need;
            } else {
                q.count -= 1;
            }
            need -= live;
            if (sh.count == 0) sh.head = q.head;
            bounds[2 * sh.count] = start;
            bounds[2 * sh.count + 1] = r.end;
            sh.count += 1;
            q.head = r.next;
            // `next` is kept: the shipment's ranges stay linked in queue order
            r.state = RangeState.TRANSIT;
            r.shipmentId = shipmentId;
            ranges[start] = _pack(r);
        }
        if (q.head == 0) q.tail = 0;
        _queues[batchId][fromSeq] = _packList(q);
        _shipments[shipmentId] = _packList(sh);
        uint256 n = 2 * sh.count;
        assembly {
            mstore(bounds, n)
        }
        emit RangesShipped(shipmentId, batchId, bounds);
    }

    /**
     * @dev Splits the range `r` at `start` after its `need`-th live unit: writes the tail part
     * [split, end) (state `tailState`, shipment `tailShipment`, the rest of `r`'s list after it)
     * and marks its start; `r` becomes [start, split) with `next` = the tail part (not written).
     */
    function _split(
        bytes32 batchId,
        mapping(uint256 => uint256) storage ranges,
        uint256 start,
        Range memory r,
        uint256 need,
        RangeState tailState,
        uint256 tailShipment
    ) private {
        uint256 split = r.gone == 0 ? start + need : _splitPoint(batchId, start, need);
        uint256 goneBefore = split - start - need;
        ranges[split] = _pack(Range(r.end, r.next, r.gone - goneBefore, r.holderSeq, tailState, tailShipment));
        _mark(batchId, split);
        r.end = split;
        r.gone = goneBefore;
        r.next = split + 1;
    }

    /// @inheritdoc IRangeLedger
    function receiveUnits(bytes32 batchId, uint256 shipmentId, uint32 toSeq, uint256 received)
        external
        override
        onlyCustody
    {
        mapping(uint256 => uint256) storage ranges = _ranges[batchId];
        List memory s = _unpackList(_shipments[shipmentId]);
        List memory q = _unpackList(_queues[batchId][toSeq]);
        // missing[0] counts the bounds after it
        uint256[] memory missing = new uint256[](2 * s.count + 1);
        Receipt memory c = Receipt(batchId, shipmentId, toSeq, received);
        uint256 cur = s.head;
        for (uint256 i = 0; i < s.count; ++i) {
            uint256 start = cur - 1;
            Range memory r = _unpack(ranges[start]);
            cur = r.next;
            _receiveRange(c, ranges, q, start, r, missing);
        }
        _queues[batchId][toSeq] = _packList(q);
        uint256 m = missing[0];
        assembly {
            missing := add(missing, 0x20)
            mstore(missing, m)
        }
        emit RangesReceived(shipmentId, batchId, missing);
    }

    /// @dev One range of a receipt: its first `need` live units to the receiver's queue `q`, the
    /// rest missing from the sender (listed in `missing`).
    function _receiveRange(
        Receipt memory c,
        mapping(uint256 => uint256) storage ranges,
        List memory q,
        uint256 start,
        Range memory r,
        uint256[] memory missing
    ) private {
        if (c.need == 0) {
            // not received: missing from the sender (holder and shipment kept)
            r.state = RangeState.MISSING;
            ranges[start] = _pack(r);
            _list(missing, start, r.end);
            return;
        }
        uint256 live = r.end - start - r.gone;
        if (live > c.need) {
            // the received part ends inside this range: its tail is missing
            uint256 end = r.end;
            _split(c.batchId, ranges, start, r, c.need, RangeState.MISSING, c.shipmentId);
            _list(missing, r.end, end);
            live = c.need;
        }
        c.need -= live;
        r.state = RangeState.HELD;
        r.holderSeq = c.toSeq;
        r.shipmentId = 0;
        r.next = 0;
        _append(c.batchId, ranges, q, start, r);
    }

    /// @dev Adds [start, end) to a bounds list whose first element counts the bounds after it.
    function _list(uint256[] memory bounds, uint256 start, uint256 end) private pure {
        uint256 n = bounds[0];
        bounds[n + 1] = start;
        bounds[n + 2] = end;
        bounds[0] = n + 2;
    }

    /// @inheritdoc IRangeLedger
    function returnUnits(bytes32 batchId, uint256 shipmentId) external override onlyCustody {
        mapping(uint256 => uint256) storage ranges = _ranges[batchId];
        List memory s = _unpackList(_shipments[shipmentId]);
        uint256 cur = s.head;
        uint256 fromSeq = _unpack(ranges[cur - 1]).holderSeq;
        List memory q = _unpackList(_queues[batchId][fromSeq]);
        for (uint256 i = 0; i < s.count; ++i) {
            uint256 start = cur - 1;
            Range memory r = _unpack(ranges[start]);
            cur = r.next;
            r.state = RangeState.HELD;
            r.shipmentId = 0;
            if (i + 1 == s.count) {
                // the last one links to the queue's head, merged with it when adjacent
                r.next = q.head;
                if (q.head != 0 && r.end == q.head - 1) {
                    Range memory h = _unpack(ranges[q.head - 1]);
                    if (q.tail == q.head) q.tail = start + 1;
                    _clear(batchId, r.end);
                    r.end = h.end;
                    r.gone += h.gone;
                    r.next = h.next;
                    q.count -= 1;
                }
                if (q.head == 0) q.tail = start + 1;
            }
            ranges[start] = _pack(r);
        }
        q.head = s.head;
        q.count += s.count;
        _queues[batchId][fromSeq] = _packList(q);
        emit RangesReturned(shipmentId, batchId);
    }

    /// @inheritdoc IRangeLedger
    function heldBy(bytes32 batchId, uint256 index, uint32 seq) external view override returns (RangeState state) {
        uint256 word = _ranges[batchId][_floor(batchId, index)];
        if (word == 0) return seq == _mahSeq(batchId) ? RangeState.HELD : RangeState.NONE; // nothing moved yet
        state = RangeState((word >> 152) & 0xff);
        if (state == RangeState.HELD && (word >> 120) & 0xffffffff != seq) return RangeState.NONE;
    }

    /// @inheritdoc IRangeLedger
    function firstNotHeld(bytes32 batchId, uint256[] calldata indices, uint256 count, uint32 seq)
        external
        view
        override
        returns (uint256 notHeld)
    {
        mapping(uint256 => uint256) storage ranges = _ranges[batchId];
        uint256 end = 0; // the range in hand ends here (exclusive); 0: none in hand
        for (uint256 i = 0; i < count; ++i) {
            uint256 index = indices[i];
            if (index >= end) {
                uint256 word = ranges[_floor(batchId, index)];
                if (word == 0) return seq == _mahSeq(batchId) ? type(uint256).max : index;
                Range memory r = _unpack(word);
                if (r.state != RangeState.HELD || r.holderSeq != seq) return index;
                end = r.end;
            }
        }
        return type(uint256).max;
    }

    /// @inheritdoc IRangeLedger
    function consumeMany(bytes32 batchId, uint256 unitCount, uint256[] calldata indices, uint256 count, uint32 seq)
        external
        override
        onlyCustody
        returns (uint256 notHeld)
    {
        mapping(uint256 => uint256) storage ranges = _ranges[batchId];
        // the range in hand: its start, end and packed word, and how many of its units were taken
        uint256 start = type(uint256).max;
        uint256 end = 0;
        uint256 word = 0;
        uint256 used = 0;
        for (uint256 i = 0; i < count; ++i) {
            uint256 index = indices[i];
            if (index >= end || start == type(uint256).max) {
                if (used != 0) ranges[start] = word + (used << 80);
                used = 0;
                start = _floor(batchId, index);
                word = ranges[start];
                if (word == 0) {
                    // no record yet: the MAH holds every unit
                    return _consumeUnrecorded(batchId, unitCount, seq, count) ? type(uint256).max : index;
                }
                Range memory r = _unpack(word);
                if (r.state != RangeState.HELD || r.holderSeq != seq) return index;
                end = r.end;
            }
            ++used;
        }
        if (used != 0) ranges[start] = word + (used << 80);
        return type(uint256).max;
    }

    // ================================================================== views

    /// @inheritdoc IRangeLedger
    function rangeOf(bytes32 batchId, uint256 index)
        external
        view
        override
        returns (uint256 start, uint256 end, RangeState state, bytes32 holderOrgId, uint256 shipmentId, uint256 gone)
    {
        (uint64 unitCount, uint16 unitsPerCase,) = _registry.layoutOf(batchId);
        if (unitsPerCase != 0) revert RangeLedgerPackedBatch(batchId);
        if (index >= unitCount) revert RangeLedgerUnitOutOfRange(batchId, index, unitCount);
        start = _floor(batchId, index);
        Range memory r = _unpack(_ranges[batchId][start]);
        if (r.end == 0) {
            (, holderOrgId) = _registry.batchOwner(batchId);
            return (0, unitCount, RangeState.HELD, holderOrgId, 0, 0);
        }
        return (start, r.end, r.state, _orgId(r.holderSeq), r.shipmentId, r.gone);
    }

    /// @inheritdoc IRangeLedger
    function rangesOf(bytes32 batchId, bytes32 orgId, uint256 cursor, uint256 limit)
        external
        view
        override
        returns (uint256[] memory bounds, uint256[] memory gone, uint256 next)
    {
        if (limit > 256) limit = 256;
        (,,, uint32 seq,,) = orgRegistry().getOrg(orgId);
        mapping(uint256 => uint256) storage ranges = _ranges[batchId];
        bounds = new uint256[](2 * limit);
        gone = new uint256[](limit);
        uint256 n = 0;
        if (ranges[0] == 0) {
            // nothing moved yet: the MAH holds [0, n)
            (uint64 unitCount, uint16 unitsPerCase,) = _registry.layoutOf(batchId);
            (, bytes32 mahOrgId) = _registry.batchOwner(batchId);
            if (unitsPerCase == 0 && orgId == mahOrgId && cursor == 0 && limit != 0 && unitCount != 0) {
                bounds[1] = unitCount;
                n = 1;
            }
        } else {
            uint256 cur = cursor == 0 ? _unpackList(_queues[batchId][seq]).head : cursor;
            while (cur != 0 && n < limit) {
                Range memory r = _unpack(ranges[cur - 1]);
                bounds[2 * n] = cur - 1;
                bounds[2 * n + 1] = r.end;
                gone[n] = r.gone;
                ++n;
                cur = r.next;
            }
            next = cur;
        }
        assembly {
            mstore(bounds, mul(n, 2))
            mstore(gone, n)
        }
    }

    /// @inheritdoc IRangeLedger
    function shipmentRanges(uint256 shipmentId) external view override returns (uint256[] memory bounds) {
        if (_custody.shipmentStatus(shipmentId) != ShipmentStatus.DISPATCHED) return new uint256[](0);
        bytes32 batchId = _custody.shipmentBatch(shipmentId);
        List memory s = _unpackList(_shipments[shipmentId]);
        bounds = new uint256[](2 * s.count);
        uint256 cur = s.head;
        for (uint256 i = 0; i < s.count; ++i) {
            Range memory r = _unpack(_ranges[batchId][cur - 1]);
            bounds[2 * i] = cur - 1;
            bounds[2 * i + 1] = r.end;
            cur = r.next;
        }
    }

    /// @inheritdoc IRangeLedger
    function custodyLedger() external view override returns (address ledger) {
        return address(_custody);
    }

    // ================================================================== internals

    /// @dev The range at `start`; the unrecorded [0, n) of the batch's first move when none.
    function _load(mapping(uint256 => uint256) storage ranges, uint256 start, uint256 unitCount, uint32 seq)
        private
        view
        returns (Range memory r)
    {
        uint256 word = ranges[start];
        if (word == 0) return Range(unitCount, 0, 0, seq, RangeState.HELD, 0);
        return _unpack(word);
    }

    /// @dev `count` units gone from a batch without records: only its MAH holds them; records
    /// [0, n) with the MAH and its queue. Returns whether `seq` is the MAH.
    function _consumeUnrecorded(bytes32 batchId, uint256 unitCount, uint32 seq, uint256 count)
        private
        returns (bool)
    {
        if (seq != _mahSeq(batchId)) return false;
        if (unitCount > _MAX_UNITS) revert RangeLedgerBatchTooLarge(batchId, unitCount);
        _ranges[batchId][0] = _pack(Range(unitCount, 0, count, seq, RangeState.HELD, 0));
        _queues[batchId][seq] = _packList(List(1, 1, 1));
        return true;
    }

    /// @dev Appends a received range to a queue (in memory), merged into the queue's last range
    /// when it starts where that one ends; writes the range records.
    function _append(
        bytes32 batchId,
        mapping(uint256 => uint256) storage ranges,
        List memory q,
        uint256 start,
        Range memory r
    ) private {
        if (q.tail != 0) {
            uint256 tailStart = q.tail - 1;
            Range memory t = _unpack(ranges[tailStart]);
            if (t.end == start) {
                t.end = r.end;
                t.gone += r.gone;
                ranges[tailStart] = _pack(t);
                _clear(batchId, start);
                return;
            }
            t.next = start + 1;
            ranges[tailStart] = _pack(t);
        } else {
            q.head = start + 1;
        }
        q.tail = start + 1;
        q.count += 1;
        ranges[start] = _pack(r);
    }

    /**
     * @dev The position `p` after the `need`-th live (not gone) unit from `start`: live units in
     * [start, p) = need. Reads the CustodyLedger's "left custody" bitmap, at most
     * {_MAX_SCAN_WORDS} words (a popcount per word, a bit walk in the last).
     */
    function _splitPoint(bytes32 batchId, uint256 start, uint256 need) private view returns (uint256) {
        uint256 pos = start;
        for (uint256 words = 0; words < _MAX_SCAN_WORDS; ++words) {
            uint256 lo = pos & 0xff;
            uint256 live = ~_custody.dispenseWord(batchId, pos >> 8) >> lo; // bits lo..255 -> 0..255-lo
            uint256 n = _popcount(live);
            if (n >= need) {
                for (uint256 b = 0; ; ++b) {
                    if (live & (1 << b) != 0 && --need == 0) return pos + b + 1;
                }
            }
            need -= n;
            pos = (pos | 0xff) + 1;
        }
        revert RangeLedgerSplitTooFar(batchId, start, _MAX_SCAN_WORDS);
    }

    /**
     * @dev Units gone (dispensed or decommissioned) in [start, end), counted on the "left custody"
     * bitmap up to the first `need` + 1 live units (enough to tell a whole take from a split):
     * a range held by a dispenser has its dispensed units counted here, when it moves on, not by
     * each dispense. At most {_MAX_SCAN_WORDS} words.
     */
    function _goneIn(bytes32 batchId, uint256 start, uint256 end, uint256 need) private view returns (uint256 gone) {
        uint256 pos = start;
        uint256 live = 0;
        for (uint256 words = 0; pos < end && live <= need; ++words) {
            if (words == _MAX_SCAN_WORDS) revert RangeLedgerSplitTooFar(batchId, start, words);
            uint256 stop = (pos | 0xff) + 1;
            if (stop > end) stop = end;
            // bits [pos, stop) of the word, shifted down to 0 .. stop - pos
            uint256 bits = (_custody.dispenseWord(batchId, pos >> 8) >> (pos & 0xff)) & _upTo(stop - pos - 1);
            uint256 n = _popcount(bits);
            gone += n;
            live += stop - pos - n;
            pos = stop;
        }
    }

    /// @dev The greatest range start at or below `index` (0 when no marked start is).
    function _floor(bytes32 batchId, uint256 index) private view returns (uint256) {
        mapping(uint256 => uint256) storage s = _starts[batchId];
        uint256 bits = s[index >> 8] & _upTo(index & 0xff);
        if (bits != 0) return (index & ~uint256(0xff)) | _msb(bits);
        for (uint256 level = 1; level < 4; ++level) {
            uint256 idx = index >> (8 * level); // the level-(level-1) word holding the unit
            bits = s[(level << 64) | (idx >> 8)] & ((uint256(1) << (idx & 0xff)) - 1);
            if (bits != 0) {
                uint256 w = (idx & ~uint256(0xff)) | _msb(bits);
                for (uint256 l = level; l > 0; --l) {
                    w = (w << 8) | _msb(s[((l - 1) << 64) | w]);
                }
                return w;
            }
        }
        return 0;
    }

    /// @dev Marks `start` (> 0) as a range start, up the levels while a word was empty.
    function _mark(bytes32 batchId, uint256 start) private {
        mapping(uint256 => uint256) storage s = _starts[batchId];
        uint256 p = start;
        for (uint256 level = 0; level < 4; ++level) {
            uint256 key = (level << 64) | (p >> 8);
            uint256 v = s[key];
            s[key] = v | (uint256(1) << (p & 0xff));
            if (v != 0) return;
            p >>= 8;
        }
    }

    /// @dev Unmarks `start`, up the levels while a word became empty.
    function _clear(bytes32 batchId, uint256 start) private {
        mapping(uint256 => uint256) storage s = _starts[batchId];
        uint256 p = start;
        for (uint256 level = 0; level < 4; ++level) {
            uint256 key = (level << 64) | (p >> 8);
            uint256 v = s[key] & ~(uint256(1) << (p & 0xff));
            s[key] = v;
            if (v != 0) return;
            p >>= 8;
        }
    }

    /// @dev Bits 0..`bit` set.
    function _upTo(uint256 bit) private pure returns (uint256) {
        return bit == 255 ? type(uint256).max : (uint256(1) << (bit + 1)) - 1;
    }

    /// @dev Index of the most significant set bit of a non-zero word.
    function _msb(uint256 x) private pure returns (uint256 r) {
        if (x >= 1 << 128) { x >>= 128; r += 128; }
        if (x >= 1 << 64) { x >>= 64; r += 64; }
        if (x >= 1 << 32) { x >>= 32; r += 32; }
        if (x >= 1 << 16) { x >>= 16; r += 16; }
        if (x >= 1 << 8) { x >>= 8; r += 8; }
        if (x >= 1 << 4) { x >>= 4; r += 4; }
        if (x >= 1 << 2) { x >>= 2; r += 2; }
        if (x >= 1 << 1) r += 1;
    }

    /// @dev Number of set bits.
    function _popcount(uint256 x) private pure returns (uint256) {
        unchecked {
            x = x - ((x >> 1) & 0x5555555555555555555555555555555555555555555555555555555555555555);
            x = (x & 0x3333333333333333333333333333333333333333333333333333333333333333)
                + ((x >> 2) & 0x3333333333333333333333333333333333333333333333333333333333333333);
            x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f;
            return (x * 0x0101010101010101010101010101010101010101010101010101010101010101) >> 248;
        }
    }

    /// @dev The OrgRegistry seq of the batch's MAH.
    function _mahSeq(bytes32 batchId) private view returns (uint256 seq) {
        (, bytes32 mahOrgId) = _registry.batchOwner(batchId);
        (,,, seq,,) = orgRegistry().getOrg(mahOrgId);
    }

    /// @dev The organisation of a seq (0: none, the unrecorded MAH is resolved by the callers).
    function _orgId(uint256 seq) private view returns (bytes32) {
        return seq == 0 ? bytes32(0) : orgRegistry().orgIdBySeq(uint32(seq));
    }

    function _pack(Range memory r) private pure returns (uint256) {
        return r.end | (r.next << 40) | (r.gone << 80) | (r.holderSeq << 120) | (uint256(r.state) << 152)
            | (r.shipmentId << 160);
    }

    function _unpack(uint256 w) private pure returns (Range memory r) {
        r.end = w & _M40;
        r.next = (w >> 40) & _M40;
        r.gone = (w >> 80) & _M40;
        r.holderSeq = (w >> 120) & 0xffffffff;
        r.state = RangeState((w >> 152) & 0xff);
        r.shipmentId = w >> 160;
    }

    function _packList(List memory l) private pure returns (uint256) {
        return l.head | (l.tail << 40) | (l.count << 80);
    }

    function _unpackList(uint256 w) private pure returns (List memory l) {
        l.head = w & _M40;
        l.tail = (w >> 40) & _M40;
        l.count = w >> 80;
    }
}
