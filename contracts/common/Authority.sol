// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.11;

import {OrgKind} from "./DrugTraceTypes.sol";

/**
 * @title Authority - the rank of a regulatory decision (docs/domain.md 6.2, issue 12 defect 1)
 * @notice A decision (emergency stop, suspension, release block) records the organisation that
 * imposed it; only the same or a higher authority lifts it. The national regulator outranks every
 * provincial one; a provincial regulator ranks only within its own region; a decision imposed by a
 * non-regulator (a MAH's self-suspension, an automatic stop on a holder's report) may be lifted by
 * any regulator whose remit covers the item (the remit is checked by the caller).
 */
library Authority {
    /**
     * @notice Whether an organisation of `kind` in `region` may lift a decision imposed by one of
     * `imposerKind` in `imposerRegion`.
     * @param kind the lifter's kind.
     * @param region the lifter's region.
     * @param imposerKind the imposer's kind (NONE: no recorded imposer, anyone in remit).
     * @param imposerRegion the imposer's region.
     * @return allowed true if the lifter ranks at least as high as the imposer.
     */
    function canLift(OrgKind kind, uint32 region, OrgKind imposerKind, uint32 imposerRegion)
        internal
        pure
        returns (bool allowed)
    {
        if (kind == OrgKind.REGULATOR_NATIONAL) return true;
        if (imposerKind == OrgKind.REGULATOR_NATIONAL) return false;
        if (imposerKind == OrgKind.REGULATOR_PROVINCIAL) {
            return kind == OrgKind.REGULATOR_PROVINCIAL && region == imposerRegion;
        }
        return true;
    }
}
