"""The one exception tree of fisco_drugtrace.

Every error the library raises derives from :class:`DrugTraceError`. Each takes structured
fields, builds its message in ``__init__`` and keeps those fields as attributes, so callers
branch on types and attributes, never on message text. Foreign exceptions are translated where
they enter (transport, keystore, EVM) and chained with ``raise ... from exc``.

::

    DrugTraceError
    ├── ConfigError
    │   └── SuiteMismatch              the signer's crypto suite is not the chain's
    ├── CryptoError
    │   ├── InvalidKeyError (ValueError)
    │   ├── SignatureError
    │   └── KeystoreError
    │       ├── WrongPasswordError
    │       ├── KeystoreFormatError (ValueError)
    │       ├── AccountNotFound (LookupError)
    │       └── AccountExists
    ├── EncodingError (ValueError)
    │   ├── HexError
    │   ├── TarsError
    │   ├── RlpError
    │   ├── TransactionDecodeError
    │   ├── AbiEncodingError
    │   └── AbiDecodingError
    ├── TransportError                 the request could not complete: no usable answer
    │   ├── ConnectError
    │   ├── RequestTimeout (TimeoutError)
    │   ├── TlsError
    │   │   ├── TlsNotConfigured       https:// without the SDK certificates
    │   │   └── TlsPortMismatch        TLS to a plain-HTTP port (or plain HTTP to a TLS port)
    │   └── BadResponseError           HTML, half a JSON, HTTP 5xx/3xx, not a JSON-RPC envelope
    │       └── AnswerTooLarge         over max_answer_bytes
    ├── RpcError(code, message, data)  the node answered with a JSON-RPC error object
    │   ├── ParseError -32700, InvalidRequest -32600, MethodNotFound -32601 (NotADevChain),
    │   │   InvalidParams -32602, InternalError -32603, NotificationRefused -32604
    │   ├── NodeNotFound -32000, GroupNotFound -32005 (3.x), GroupNotExist -40001 (2.x),
    │   │   BlockNotFound -40004, ...  (see RPC_ERROR_CLASSES)
    │   └── TransactionRejected        the node refused a transaction before execution
    │       ├── NonceCheckFailed, BlockLimitCheckFailed, InvalidChainId, InvalidGroupId,
    │       │   InvalidSignatureRejected, TxPoolFull, AlreadyInTxPool, AlreadyInChain,
    │       │   MalformedTransaction, TransactionHashMismatch
    ├── TransactionError(tx_hash)
    │   ├── ReceiptTimeout (TimeoutError)
    │   └── TransactionFailed(receipt)  receipt status != 0
    │       └── ContractRevert(error_name, args, raw)
    ├── ContractError
    │   ├── AbiError (ValueError)       unknown function/event, wrong arguments
    │   ├── ArtifactNotFound, ArtifactStale
    │   ├── ContractNotDeployed
    │   ├── CompilerError, CompilerNotFound
    │   └── PrecompiledCallError(code)  a system precompile answered an error code
    ├── DomainError
    │   ├── TraceCodeError (ValueError) malformed or duplicate unit codes (with line numbers)
    │   │   └── DrugCodeError           a drug identifier code not 7 digits, or already another product's
    │   ├── NotFound                    organisation/product/batch/shipment/recall not on chain
    │   ├── AddressBookError
    │   ├── ReleaseGateError            a batch's release gate does not hold (nothing written)
    │   └── BatchDatesError (ValueError) expiry not after production
    ├── DevChainError
    │   ├── DataDirError                another chain's or a damaged data dir
    │   └── DevChainRunning / DevChainNotRunning
    └── AuditError
        ├── IndexMismatchError          the chain no longer matches the index (block hash differs)
        └── VerificationError           a reported record differs from the chain
"""

from __future__ import annotations

import copy
from typing import Any, Mapping, Sequence

__all__ = [
    "DrugTraceError",
    "ConfigError",
    "SuiteMismatch",
    "CryptoError",
    "InvalidKeyError",
    "SignatureError",
    "KeystoreError",
    "WrongPasswordError",
    "KeystoreFormatError",
    "AccountNotFound",
    "AccountExists",
    "EncodingError",
    "HexError",
    "TarsError",
    "RlpError",
    "TransactionDecodeError",
    "AbiEncodingError",
    "AbiDecodingError",
    "FrameError",
    "SubscriptionRefused",
    "WebhookError",
    "TransportError",
    "ConnectError",
    "RequestTimeout",
    "TlsError",
    "TlsNotConfigured",
    "TlsPortMismatch",
    "BadResponseError",
    "AnswerTooLarge",
    "RpcError",
    "ParseError",
    "InvalidRequest",
    "MethodNotFound",
    "InvalidParams",
    "InternalError",
    "NotificationRefused",
    "NodeNotFound",
    "GroupNotFound",
    "OperationNotAllowed",
    "GroupNotExist",
    "BlockHashNotFound",
    "BlockNotFound",
    "TransactionIndexOutOfRange",
    "CallNeedsFrom",
    "InvalidSystemConfig",
    "NotInGroup",
    "LedgerError",
    "TransactionRejected",
    "NonceCheckFailed",
    "BlockLimitCheckFailed",
    "TxPoolFull",
    "MalformedTransaction",
    "AlreadyInTxPool",
    "AlreadyInChain",
    "InvalidChainId",
    "InvalidGroupId",
    "InvalidSignatureRejected",
    "TransactionHashMismatch",
    "TransactionError",
    "ReceiptTimeout",
    "TransactionFailed",
    "ContractRevert",
    "ContractError",
    "AbiError",
    "ArtifactNotFound",
    "ArtifactStale",
    "ContractNotDeployed",
    "CompilerError",
    "CompilerNotFound",
    "PrecompiledCallError",
    "DomainError",
    "TraceCodeError",
    "NotFound",
    "BatchNotReleased",
    "AddressBookError",
    "ReleaseGateError",
    "BatchDatesError",
    "DrugCodeError",
    "DevChainError",
    "DataDirError",
    "DevChainRunning",
    "DevChainNotRunning",
    "NotADevChain",
    "AuditError",
    "IndexMismatchError",
    "VerificationError",
    "RPC_ERROR_CLASSES",
    "TXPOOL_REJECTION_CLASSES",
    "rpc_error_from",
]


class DrugTraceError(Exception):
    """Root of every error raised by fisco_drugtrace.

    :param message: the full, developer-facing message.
    :param user_message: an optional shorter sentence for end users (the CLI prints it when set).
    """

    def __init__(self, message: str, *, user_message: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.user_message = user_message

    def __str__(self) -> str:
        return self.message


# --------------------------------------------------------------------------- config
class ConfigError(DrugTraceError):
    """The configuration file or an environment override is missing, malformed or inconsistent."""


class SuiteMismatch(ConfigError):
    """The signing account's crypto suite (ECDSA / SM2) is not the chain's: refused before sending.

    :param signer_suite: the account's suite name (``"sm2_sm3"`` ...).
    :param chain_suite: the suite the node reports.
    :param address: the signing account's address.
    """

    def __init__(self, *, signer_suite: str, chain_suite: str, address: str = "") -> None:
        def word(name: str) -> str:
            return "SM2" if name.startswith("sm2") else "ECDSA" if name.startswith("ecdsa") else name

        who = f"account {address}" if address else "the signing account"
        super().__init__(f"{who} is an {word(signer_suite)} key but the chain uses {word(chain_suite)}: nothing was "
                         f"sent; use an {word(chain_suite)} account (account new NAME --suite "
                         f"{'sm2' if chain_suite.startswith('sm2') else 'ecdsa'})")
        self.signer_suite = signer_suite
        self.chain_suite = chain_suite
        self.address = address


# --------------------------------------------------------------------------- crypto
class CryptoError(DrugTraceError):
    """Base for key, signature and keystore problems."""


class InvalidKeyError(CryptoError, ValueError):
    """A private or public key is malformed (wrong length, zero, not on the curve, bad PEM)."""


class SignatureError(CryptoError):
    """A signature is malformed, not canonical (high s), or does not recover/verify."""


class SignerSuiteMismatch(SuiteMismatch):
    """The service's name for :class:`SuiteMismatch` (its check before a transaction is built):
    the signing key's crypto suite is not the chain's (e.g. an ECDSA key on an sm_crypto chain)."""

    def __init__(self, signer_suite: str, chain_suite: str, address: str = "") -> None:
        super().__init__(signer_suite=signer_suite, chain_suite=chain_suite, address=address)


class KeystoreError(CryptoError):
    """Base for keystore file problems."""


class WrongPasswordError(KeystoreError):
    """The keystore's MAC does not match: the password is wrong (or the file was altered)."""

    def __init__(self, path: str | None = None) -> None:
        where = f" for {path}" if path else ""
        super().__init__(f"wrong password{where} (the keystore MAC does not match)")
        self.path = path


class KeystoreFormatError(KeystoreError, ValueError):
    """The file is not a keystore we can read: truncated, foreign JSON, unknown cipher or KDF."""

    def __init__(self, reason: str, path: str | None = None) -> None:
        where = f"{path}: " if path else ""
        super().__init__(f"{where}not a readable key file: {reason}")
        self.reason = reason
        self.path = path


class AccountNotFound(KeystoreError, LookupError):
    """No account with this name or address in the account directory."""

    def __init__(self, key: str, directory: str | None = None) -> None:
        where = f" in {directory}" if directory else ""
        super().__init__(f"no account {key!r}{where}")
        self.key = key
        self.directory = directory


class AccountExists(KeystoreError):
    """An account with this name (or this address) is already in the account directory."""

    def __init__(self, key: str, path: str | None = None) -> None:
        super().__init__(f"account {key!r} already exists" + (f" ({path})" if path else ""))
        self.key = key
        self.path = path


# --------------------------------------------------------------------------- encoding
class EncodingError(DrugTraceError, ValueError):
    """Base for encoding and decoding problems in pure functions over bytes."""


class HexError(EncodingError):
    """A string that should be hex is not (odd length, bad characters, wrong size)."""


class TarsError(EncodingError):
    """Tars bytes are truncated or malformed."""


class RlpError(EncodingError):
    """RLP bytes are malformed, non-canonical or have the wrong shape."""


class TransactionDecodeError(EncodingError):
    """A signed transaction cannot be decoded into its fields."""


class AbiEncodingError(EncodingError):
    """Arguments do not fit the ABI types."""


class AbiDecodingError(EncodingError):
    """Return data, log data or revert data does not decode with the ABI types."""


class FrameError(EncodingError):
    """A push-transport frame (3.x boostssl ``WsMessage``, 2.x ``ChannelPack``) is truncated or malformed."""


# --------------------------------------------------------------------------- transport
class TransportError(DrugTraceError):
    """The request could not complete: no usable response from any node.

    :param url: the node URL the failure is about (the last one tried when failing over).
    """

    def __init__(self, message: str, *, url: str | None = None, tx_hash: str | None = None) -> None:
        super().__init__(message)
        self.url = url
        #: set when the failed request carried a signed transaction: look it up by this hash
        self.tx_hash = tx_hash

    def retold(self, message: str) -> "TransportError":
        """A copy of this error (same type and fields) with another message."""
        clone = copy.copy(self)
        clone.message = message
        clone.args = (message,)
        return clone

    def for_transaction(self, tx_hash: str) -> "TransportError":
        """A copy that names the transaction whose sending failed (it may still commit)."""
        clone = self.retold(f"{self.message} (transaction {tx_hash} was sent and may still commit: "
                            "look it up by this hash before sending it again)")
        clone.tx_hash = tx_hash
        return clone


class ConnectError(TransportError):
    """No connection could be made (refused, DNS, unreachable)."""


class RequestTimeout(TransportError, TimeoutError):
    """The node accepted the connection but did not answer in time."""


class TlsError(TransportError):
    """The TLS handshake failed (certificate refused, wrong CA, missing client certificate)."""


class TlsNotConfigured(TlsError):
    """An ``https://`` node that needs the SDK certificates, and none (or not all) are set.

    :param missing: the settings to provide (``FISCO_TLS_CA``, ``FISCO_TLS_CERT``, ``FISCO_TLS_KEY``).
    """

    def __init__(self, message: str, *, url: str | None = None, missing: Sequence[str] = ()) -> None:
        super().__init__(message, url=url)
        self.missing = tuple(missing)


class TlsPortMismatch(TlsError):
    """TLS was spoken to a plain-HTTP port, or plain HTTP to a TLS port.

    :param port_speaks: ``"http"`` or ``"tls"``: what the port really speaks.
    """

    def __init__(self, message: str, *, url: str | None = None, port_speaks: str = "http") -> None:
        super().__init__(message, url=url)
        self.port_speaks = port_speaks


class BadResponseError(TransportError):
    """The node answered, but not with a JSON-RPC envelope: HTML, truncated JSON, HTTP 5xx.

    :param status: HTTP status code, when there was one.
    :param body_excerpt: the first bytes of the body, for diagnosis.
    """

    def __init__(
        self, message: str, *, url: str | None = None, status: int | None = None, body_excerpt: str = ""
    ) -> None:
        super().__init__(message, url=url)
        self.status = status
        self.body_excerpt = body_excerpt


class AnswerTooLarge(BadResponseError):
    """The answer is (or declares itself) larger than the configured cap.

    :param limit: the cap in bytes (``max_answer_bytes``).
    :param declared: the ``Content-Length`` the node announced, if any.
    """

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None, limit: int = 0,
                 declared: int | None = None) -> None:
        super().__init__(message, url=url, status=status)
        self.limit = limit
        self.declared = declared


# --------------------------------------------------------------------------- rpc
class RpcError(DrugTraceError):
    """The node answered with a JSON-RPC error object; its code, message and data are kept.

    :param code: the node's error code.
    :param node_message: the node's message, verbatim.
    :param data: the error's ``data`` member, if any.
    :param method: the JSON-RPC method that failed.
    """

    default_code: int | None = None
    #: set by ``send_transaction`` when the refused request carried a signed transaction
    tx_hash: str | None = None

    def __init__(self, code: int, node_message: str, data: Any = None, *, method: str | None = None) -> None:
        where = f"{method}: " if method else ""
        super().__init__(f"{where}node error {code}: {node_message}")
        self.code = code
        self.node_message = node_message
        self.data = data
        self.method = method


class ParseError(RpcError):
    default_code = -32700


class InvalidRequest(RpcError):
    default_code = -32600


class MethodNotFound(RpcError):
    default_code = -32601


class InvalidParams(RpcError, ValueError):
    default_code = -32602


class InternalError(RpcError):
    default_code = -32603


class NotificationRefused(RpcError):
    """2.x: a request without ``id`` is a notification and is refused (-32604)."""

    default_code = -32604


class NodeNotFound(RpcError):
    """3.x -32000: the node name is unknown or the node has not started."""

    default_code = -32000


class OperationNotAllowed(RpcError):
    default_code = -32003


class GroupNotFound(RpcError):
    """3.x -32005: the group does not exist."""

    default_code = -32005


class GroupNotExist(RpcError):
    """2.x -40001: GroupID does not exist."""

    default_code = -40001


class BlockHashNotFound(RpcError):
    default_code = -40003


class BlockNotFound(RpcError):
    default_code = -40004


class TransactionIndexOutOfRange(RpcError):
    default_code = -40005


class CallNeedsFrom(RpcError):
    default_code = -40006


class InvalidSystemConfig(RpcError):
    default_code = -40008


class NotInGroup(RpcError):
    default_code = -40009


class LedgerError(RpcError):
    """3.x 3001-3010: ledger errors, e.g. 3008 for an unknown receipt hash."""


class TransactionRejected(RpcError):
    """The node refused a transaction before execution (txpool admission or decoding).

    3.x reports the txpool status as the error code (10000-10015) or -1; 2.x reports -32603 with a
    reason token in the message. ``reason`` holds the status name (``"NonceCheckFail"``, ...).
    """

    def __init__(
        self,
        code: int,
        node_message: str,
        data: Any = None,
        *,
        method: str | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(code, node_message, data, method=method)
        self.reason = reason or node_message


class NonceCheckFailed(TransactionRejected):
    """The nonce was already used (in the pool or in recent blocks)."""


class BlockLimitCheckFailed(TransactionRejected):
    """blockLimit is not in (current, current + 1000]."""


class TxPoolFull(TransactionRejected):
    pass


class MalformedTransaction(TransactionRejected):
    pass


class AlreadyInTxPool(TransactionRejected):
    pass


class AlreadyInChain(TransactionRejected):
    pass


class InvalidChainId(TransactionRejected):
    pass


class InvalidGroupId(TransactionRejected):
    pass


class InvalidSignatureRejected(TransactionRejected):
    pass


class TransactionHashMismatch(TransactionRejected):
    """3.x: the dataHash in the transaction is not the hash of its fields (code -1)."""


#: JSON-RPC error code -> class, for codes whose meaning does not depend on the dialect.
RPC_ERROR_CLASSES: Mapping[int, type[RpcError]] = {
    -32700: ParseError,
    -32600: InvalidRequest,
    -32601: MethodNotFound,
    -32602: InvalidParams,
    -32603: InternalError,
    -32604: NotificationRefused,
    -32000: NodeNotFound,
    -32003: OperationNotAllowed,
    -32005: GroupNotFound,
    -40001: GroupNotExist,
    -40003: BlockHashNotFound,
    -40004: BlockNotFound,
    -40005: TransactionIndexOutOfRange,
    -40006: CallNeedsFrom,
    -40008: InvalidSystemConfig,
    -40009: NotInGroup,
    **{code: LedgerError for code in range(3001, 3011)},
}

#: txpool status name -> class (3.x codes 10000-10015 and the 2.x reason tokens map to these names).
TXPOOL_REJECTION_CLASSES: Mapping[str, type[TransactionRejected]] = {
    "NonceCheckFail": NonceCheckFailed,
    "BlockLimitCheckFail": BlockLimitCheckFailed,
    "TxPoolIsFull": TxPoolFull,
    "Malformed": MalformedTransaction,
    "AlreadyInTxPool": AlreadyInTxPool,
    "TxAlreadyInChain": AlreadyInChain,
    "InvalidChainId": InvalidChainId,
    "InvalidGroupId": InvalidGroupId,
    "InvalidSignature": InvalidSignatureRejected,
    "TransactionHashMismatch": TransactionHashMismatch,
}


def rpc_error_from(code: int, message: str, data: Any = None, *, method: str | None = None) -> RpcError:
    """Build the most specific :class:`RpcError` for a JSON-RPC error object (dialect-neutral part).

    Dialect-specific mapping (3.x txpool codes, 2.x reason tokens) is done by the client's dialect
    module, which then falls back to this function.
    """
    cls = RPC_ERROR_CLASSES.get(code, RpcError)
    return cls(code, message, data, method=method)


# --------------------------------------------------------------------------- transactions
class TransactionError(DrugTraceError):
    """A transaction was sent (it has a hash) but did not end well."""

    def __init__(self, message: str, *, tx_hash: str) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash


class ReceiptTimeout(TransactionError, TimeoutError):
    """No receipt arrived within the timeout. The transaction may still be committed later."""

    def __init__(self, tx_hash: str, timeout: float) -> None:
        super().__init__(f"no receipt for {tx_hash} within {timeout:g} s", tx_hash=tx_hash)
        self.timeout = timeout


class TransactionFailed(TransactionError):
    """The receipt's status is not 0 (success).

    :param receipt: the receipt record (a :class:`fisco_drugtrace.types.Receipt`).
    """

    def __init__(self, receipt: Any, message: str | None = None) -> None:
        status = getattr(receipt, "status", None)
        name = getattr(receipt, "status_name", "")
        tx_hash = getattr(receipt, "transaction_hash", "")
        super().__init__(message or f"transaction {tx_hash} failed: status {status} {name}", tx_hash=tx_hash)
        self.receipt = receipt
        self.status = status
        self.status_name = name


class ContractRevert(TransactionFailed):
    """The contract reverted; the revert data is decoded.

    :param error_name: ``"Error"`` for ``Error(string)``, ``"Panic"`` for ``Panic(uint256)``, the
        custom error's name otherwise, or ``None`` when the data matches nothing in the ABI.
    :param args: the decoded arguments, by name (positional names ``arg0``... when unnamed).
    :param raw: the raw revert data.
    :param receipt: the receipt, or ``None`` when the revert came from a ``call``.
    :param hint: one line saying what to do about it (bindings fill it from a table of known errors).
    """

    def __init__(
        self,
        error_name: str | None,
        args: Mapping[str, Any] | None,
        raw: bytes,
        *,
        receipt: Any = None,
        tx_hash: str = "",
        hint: str | None = None,
    ) -> None:
        self.hint = hint
        self.error_name = error_name
        self.error_args = dict(args or {})
        self.raw = raw
        if error_name is None:
            text = f"reverted with undecoded data 0x{raw.hex()}" if raw else "reverted without data"
        else:
            inner = ", ".join(f"{k}={_short(v)}" for k, v in self.args.items())
            text = f"reverted: {error_name}({inner})"
        if receipt is not None:
            TransactionFailed.__init__(self, receipt, text)
        else:
            TransactionError.__init__(self, text, tx_hash=tx_hash)
            self.receipt = None
            self.status = 16
            self.status_name = "RevertInstruction"

    # ``BaseException.args`` is a tuple slot: assigning a dict to it keeps only the keys, so the
    # decoded arguments live in ``error_args`` and ``args`` reads them.
    @property  # type: ignore[override]
    def args(self) -> dict[str, Any]:  # type: ignore[override]
        """The decoded error arguments by name."""
        return self.error_args

    @args.setter
    def args(self, value: Any) -> None:
        BaseException.args.__set__(self, value)  # type: ignore[attr-defined]


def _short(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)


# --------------------------------------------------------------------------- contracts
class ContractError(DrugTraceError):
    """Base for contract binding, artifact and compiler problems."""


class AbiError(ContractError, ValueError):
    """The ABI has no such function/event/error, or the arguments do not match it."""


class ArtifactNotFound(ContractError):
    """No committed artifact for the named contract."""


class ArtifactStale(ContractError):
    """The committed artifacts were built from different sources than those in ``contracts/``."""


class ContractNotDeployed(ContractError):
    """There is no code at the address, or no address is known for the contract on this chain."""


class CompilerError(ContractError):
    """The Solidity compiler ran and reported errors (kept in ``errors``)."""

    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)


class CompilerNotFound(ContractError):
    """Neither a native solc 0.8.11 nor the pinned solcjs is available."""


class PrecompiledCallError(ContractError):
    """A FISCO system precompile (BFS, CNS, SystemConfig, Consensus, governance) answered a
    non-zero return code: ``code`` is the node's number (e.g. -53002), ``name`` its meaning."""

    def __init__(self, operation: str, code: int, name: str) -> None:
        super().__init__(f"{operation}: the node answered {code} ({name})")
        self.operation = operation
        self.code = code
        self.name = name


# --------------------------------------------------------------------------- domain
class DomainError(DrugTraceError):
    """Base for drug-trace domain errors raised by the service layer."""


class TraceCodeError(DomainError, ValueError):
    """Unit traceability codes are malformed or duplicated.

    :param problems: ``(line_number, code, reason)`` tuples, 1-based line numbers (0: the file).
    :param total: how many problems there were (``problems`` may hold only the first ones).
    """

    def __init__(self, problems: Sequence[tuple[int, str, str]], *, total: int | None = None) -> None:
        self.problems = list(problems)
        self.total = max(total or 0, len(self.problems))
        first = self.problems[0] if self.problems else (0, "", "no codes")
        more = f" (and {self.total - 1} more)" if self.total > 1 else ""
        where = f"line {first[0]}: {first[1]!r}: " if first[0] else ""
        super().__init__(f"{where}{first[2]}{more}")


class DrugCodeError(TraceCodeError):
    """A product's 7-digit drug identifier code (药品标识码) is malformed, or the chain already binds
    it to another product (checked before anything is sent)."""

    def __init__(self, message: str) -> None:
        super().__init__([(0, "", message)])


class NotFound(DomainError, LookupError):
    """An organisation, product, batch, shipment or recall case is not on chain."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} {key} not found")
        self.kind = kind
        self.key = key


class BatchNotReleased(DomainError):
    """A batch that is registered but not released: the custody ledger only holds released
    batches, so shipping, receiving or dispensing its units is refused. (The contract answers
    ``CustodyLedgerUnknownBatch``; "not found" would send the user to register it again.)"""

    def __init__(self, batch_id: str) -> None:
        super().__init__(f"batch {batch_id} is registered but not released: its units enter custody "
                         "when it is released")
        self.batch_id = batch_id
        #: shown by the CLI after the message
        self.hint = (f"`batch release-status {batch_id}` says what its release still needs; "
                     f"then `batch release {batch_id}`")


class AmountError(DomainError, ValueError):
    """A procurement amount is not a whole, non-negative number of the currency's smallest unit
    (fen); checked before anything is sent."""


class BatchDatesError(DomainError, ValueError):
    """A batch's expiry date is not after its production date (checked before anything is sent).

    :param production_date: milliseconds since the epoch.
    :param expiry_date: milliseconds since the epoch.
    """

    def __init__(self, production_date: int, expiry_date: int) -> None:
        from datetime import datetime, timezone

        def day(ms: int) -> str:
            try:
                return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d")
            except (OverflowError, OSError, ValueError):
                return str(ms)

        super().__init__(f"the expiry date {day(expiry_date)} is not after the production date "
                         f"{day(production_date)}: a batch must expire after it is produced (--produced / --expires)")
        self.production_date = production_date
        self.expiry_date = expiry_date


class ReleaseGateError(DomainError):
    """A batch cannot pass its release gate yet; nothing was written.

    :param batch_id: the batch (``0x`` hex).
    :param problems: every unmet precondition, each with the command that meets it.
    """

    def __init__(self, batch_id: str, problems: Sequence[str]) -> None:
        self.batch_id = batch_id
        self.problems = list(problems)
        super().__init__(f"batch {batch_id} cannot be released yet, nothing was recorded: " + "; ".join(self.problems))


class AddressBookError(DomainError):
    """The address book has no deployment for this chain/group, or is unreadable."""


class CodeNotGenuine(DomainError):
    """A unit code that cannot be traced: proven counterfeit, or not decidable with what this
    home holds (``verdict`` is ``"counterfeit"`` or ``"cannot_tell_here"``; ``reason`` says why
    and, for the latter, which manifest to import)."""

    def __init__(self, code: str, verdict: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.verdict = verdict
        self.reason = reason


# --------------------------------------------------------------------------- dev chain
class DevChainError(DrugTraceError):
    """Base for embedded development chain problems."""


class DataDirError(DevChainError):
    """The data dir belongs to another chain, or is damaged; it is never silently reused."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"data dir {path}: {reason}")
        self.path = path
        self.reason = reason


class NotADevChain(MethodNotFound):
    """A ``dev_`` test control was sent to a node that does not serve it (a real FISCO node answers
    -32601 MethodNotFound): only the embedded dev chain has them."""

    default_code = -32601


class DevChainRunning(DevChainError):
    """A dev chain is already running on this data dir."""


class DevChainNotRunning(DevChainError):
    """No dev chain is running on this data dir."""


# --------------------------------------------------------------------------- audit
class AuditError(DrugTraceError):
    """Base for auditor index and verification problems."""


class IndexMismatchError(AuditError):
    """The chain no longer matches the index: a block hash differs (another chain, or a reset)."""

    def __init__(self, block_number: int, indexed_hash: str, chain_hash: str) -> None:
        super().__init__(
            f"block {block_number}: index has {indexed_hash}, chain has {chain_hash}; "
            "the index belongs to another chain or the chain was reset"
        )
        self.block_number = block_number
        self.indexed_hash = indexed_hash
        self.chain_hash = chain_hash


class VerificationError(AuditError):
    """A record from the index or a report differs from what the chain holds.

    :param differences: human-readable descriptions, one per differing record.
    """

    def __init__(self, differences: Sequence[str]) -> None:
        self.differences = list(differences)
        super().__init__(f"{len(self.differences)} record(s) differ from the chain: " + "; ".join(self.differences[:3]))


class SubscriptionRefused(RpcError):
    """The node refused an event subscription (3.x ``EVENT_SUBSCRIBE`` / 2.x ``0x15``): one of
    the -41000..-41007 codes (INVALID_PARAMS, INVALID_REQUEST, GROUP_NOT_EXIST,
    INVALID_REQUEST_RANGE, INVALID_RESPONSE, REQUST_TIMEOUT, SDK_PERMISSION_DENIED,
    NONEXISTENT_EVENT)."""


class WebhookError(DrugTraceError):
    """The webhook outbox cannot be used (unreadable file, another watch's outbox, bad URL)."""
