"""The SDK in ten lines: an in-process dev chain, the suite, a manufacturer and its first batch."""
import tempfile
import time
from fisco_drugtrace import (AddressBook, DevChain, DevChainConfig, LocalSigner, OrgKind, Settings,
                             TraceService, connect)
from fisco_drugtrace.devchain import dev_keypairs

client = connect(Settings(), handler=DevChain(DevChainConfig()).handle_raw)  # a real node: connect(load_settings(path))
nmpa, mah = (LocalSigner(key) for key in dev_keypairs(2))
regulator = TraceService(client, nmpa, AddressBook.in_home(tempfile.mkdtemp()))
regulator.deploy("11100000000013127X", region=110000)      # the signer becomes the national regulator
regulator.register_org("91110000MA01HXPH1K", OrgKind.MANUFACTURER, region=110000)
regulator.bind_account(mah.address, "91110000MA01HXPH1K")
product = regulator.register_product("H20263001", "0.25 g x 12", "91110000MA01HXPH1K", min_temp=20, max_temp=80, drug_code="8160347")  # its codes' prefix, bound on chain
codes, made = [f"8160347{serial:09d}0000" for serial in range(1, 101)], int(time.time() * 1000)  # dates in ms
batch = regulator.with_signer(mah).register_batch(product.product_id, "L1", codes, production_date=made, expiry_date=made + 730 * 86_400_000).batch
print(batch.state.name, batch.unit_count, "0x" + batch.unit_root.hex())  # NONE 100 0x… (committed; release_batch lists it)
