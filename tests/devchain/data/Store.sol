// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;
contract Store {
    uint256 public value;
    uint256 public immutable createdAt;
    event Stored(address indexed who, uint256 value);
    error TooBig(uint256 v);
    constructor(uint256 v) { value = v; createdAt = block.timestamp; }
    function set(uint256 v) external { if (v > 1000000) revert TooBig(v); value = v; emit Stored(msg.sender, v); }
    function fail() external pure { require(false, "nope"); }
    function info() external view returns (uint256, uint256, uint256, address) { return (block.number, block.timestamp, block.chainid, msg.sender); }
    function make() external returns (address) { return address(new Child()); }
}
contract Child { uint256 public x = 7; }
