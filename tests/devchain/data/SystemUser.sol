// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

// A contract that calls FISCO BCOS system precompiles, as an application on a node would
// (tests/devchain/test_precompile_from_contracts.py). ABIs as FISCO-BCOS's
// bcos-executor/src/precompiled/{SystemConfig,BFS}Precompiled.cpp and 2.x libprecompiled/CNSPrecompiled.cpp.
interface ISystemConfig {
    function setValueByKey(string calldata key, string calldata value) external returns (int32);
    function getValueByKey(string calldata key) external view returns (string memory, int256);
}

interface IBfs {
    function mkdir(string calldata path) external returns (int32);
    function readlink(string calldata path) external view returns (address);
}

interface ICns {
    function insert(string calldata name, string calldata version, string calldata addr, string calldata abi)
        external returns (int256);
    function getContractAddress(string calldata name, string calldata version) external view returns (address);
}

contract SystemUser {
    ISystemConfig constant SYS = ISystemConfig(address(uint160(0x1000)));
    IBfs constant BFS = IBfs(address(uint160(0x100e)));
    ICns constant CNS = ICns(address(uint160(0x1004)));

    event Made(int32 first, int32 again, int32 other);

    function configOf(string calldata key) external view returns (string memory, int256) {
        return SYS.getValueByKey(key);
    }

    function setConfig(string calldata key, string calldata value) external returns (int32) {
        return SYS.setValueByKey(key, value);
    }

    function makeDirs(string calldata a, string calldata b) external returns (int32, int32, int32) {
        int32 first = BFS.mkdir(a);
        int32 again = BFS.mkdir(a);
        int32 other = BFS.mkdir(b);
        emit Made(first, again, other);
        return (first, again, other);
    }

    function makeDirThenFail(string calldata a) external {
        BFS.mkdir(a);
        revert("after mkdir");
    }

    function pointOf(string calldata path) external view returns (address) {
        return BFS.readlink(path);
    }

    function register(string calldata name, string calldata version, string calldata addr) external returns (int256) {
        return CNS.insert(name, version, addr, "");
    }

    function lookup(string calldata name, string calldata version) external view returns (address) {
        return CNS.getContractAddress(name, version);
    }
}

contract SystemUserAtBirth {
    string public gasLimit;
    int32 public made;

    constructor(string memory path) {
        (gasLimit, ) = ISystemConfig(address(uint160(0x1000))).getValueByKey("tx_gas_limit");
        made = IBfs(address(uint160(0x100e))).mkdir(path);
    }
}
