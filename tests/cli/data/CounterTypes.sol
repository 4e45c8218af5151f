// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

enum Mode {
    OFF,
    ON
}

error CounterZeroStep(Mode mode);
