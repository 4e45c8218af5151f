// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

/// @title Probe
/// @notice A tiny contract the SDK tests deploy to exercise calls, events, custom errors,
///         Error(string) and Panic(uint256) on any FISCO-compatible chain.
contract Probe {
    struct Entry { uint256 value; string note; address writer; }

    error ProbeNotOwner(address caller, uint256 code);

    event Stored(address indexed writer, uint256 indexed value, string note);
    event Tagged(bytes32 indexed tag, string label) anonymous;

    address private immutable _owner;
    Entry private _entry;

    constructor(uint256 initial) {
        _owner = msg.sender;
        _entry = Entry(initial, "init", msg.sender);
        emit Stored(msg.sender, initial, "init");
    }

    function store(uint256 value, string calldata note) external {
        if (msg.sender != _owner) revert ProbeNotOwner(msg.sender, 7);
        _entry = Entry(value, note, msg.sender);
        emit Stored(msg.sender, value, note);
    }

    function tag(bytes32 tagValue, string calldata label) external {
        emit Tagged(tagValue, label);
    }

    function entry() external view returns (Entry memory) { return _entry; }

    function pair() external view returns (uint256 value, address owner) { return (_entry.value, _owner); }

    function fail(string calldata why) external pure { require(false, why); }

    function divide(uint256 a, uint256 b) external pure returns (uint256) { return a / b; }
}
