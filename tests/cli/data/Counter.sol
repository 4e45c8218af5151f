// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

import "./CounterTypes.sol";

/// A user's own contract for the generic `deploy` / `call` / `send` commands' tests.
contract Counter {
    uint256 public count;
    Mode public mode;

    event Bumped(address indexed by, uint256 newCount, Mode mode);

    constructor(uint256 start) {
        count = start;
    }

    function bump(uint256 by) external returns (uint256) {
        if (by == 0) revert CounterZeroStep(mode);
        count += by;
        emit Bumped(msg.sender, count, mode);
        return count;
    }

    function setMode(Mode m) external {
        mode = m;
    }

    function pair(uint256 a, string calldata s) external pure returns (uint256 doubled, string memory echoed) {
        return (a * 2, s);
    }
}
