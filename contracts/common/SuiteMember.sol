// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

import {IOrgRegistry} from "../interfaces/IOrgRegistry.sol";
import {OrgKind} from "./DrugTraceTypes.sol";

/**
 * @title SuiteMember - access helpers shared by the contracts that sit behind the OrgRegistry
 * @notice Every write asks the OrgRegistry to authorize `msg.sender` (pause, binding, status,
 * licence, kind in one external call). "System" functions accept only linked suite contracts.
 * @dev Roles live with organisations, not accounts; this base only forwards the checks.
 */
abstract contract SuiteMember {
    IOrgRegistry private immutable _orgs;

    /// @dev One-line guard for functions only linked suite contracts may call.
    modifier onlySuite() {
        _orgs.requireSuite(msg.sender);
        _;
    }

    /// @param orgRegistry_ the OrgRegistry this contract trusts.
    constructor(IOrgRegistry orgRegistry_) {
        _orgs = orgRegistry_;
    }

    /// @notice The OrgRegistry this contract trusts.
    /// @return registry its address.
    function orgRegistry() public view returns (IOrgRegistry registry) {
        return _orgs;
    }

    /// @dev Authorizes the caller for a kind mask; reverts with the OrgRegistry's errors.
    function _authorize(uint256 kindMask)
        internal
        view
        returns (bytes32 orgId, OrgKind kind, uint32 region, uint32 seq)
    {
        return _orgs.authorize(msg.sender, kindMask);
    }
}
