"""Consumer-scan counting (``WebStore.record_scan``): one upsert per scan on both store backends,
every scan counted when several worker processes (here: several connections) count at once."""

from __future__ import annotations

import threading

from fisco_drugtrace.web.store import SCAN_ALERT_THRESHOLD, WebStore

CODE = "81603470000000010000"


def test_each_scan_returns_the_running_count_and_one_alert_is_raised(store_backend) -> None:
    store = WebStore(store_backend.location("web"))
    try:
        seen = [store.record_scan(CODE, dispensed=True, batch_id="0xab") for _ in range(SCAN_ALERT_THRESHOLD + 3)]
        assert [scans for scans, _ in seen] == list(range(1, SCAN_ALERT_THRESHOLD + 4))
        alerts = [alert for _, alert in seen if alert is not None]
        assert len(alerts) == 1 and alerts[0].scans == SCAN_ALERT_THRESHOLD  # once per hour per code
        assert seen[SCAN_ALERT_THRESHOLD - 1][1] is alerts[0]
        assert store.scan_count(CODE) == SCAN_ALERT_THRESHOLD + 3
        # scans of a box not dispensed are counted and never alert
        other = "81603470000000020000"
        assert [store.record_scan(other, dispensed=False, batch_id="0xab") for _ in range(4)] == \
               [(1, None), (2, None), (3, None), (4, None)]
        assert [a.code for a in store.scan_alerts()] == [CODE]
    finally:
        store.close()


def test_scans_counted_at_once_through_several_connections_are_all_counted(store_backend) -> None:
    stores = [WebStore(store_backend.location("web")) for _ in range(3)]
    per_thread = 60

    def scan(store: WebStore) -> None:
        for _ in range(per_thread):
            store.record_scan(CODE, dispensed=False, batch_id=None)

    threads = [threading.Thread(target=scan, args=(s,)) for s in stores]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert stores[0].scan_count(CODE) == len(stores) * per_thread
    finally:
        for s in stores:
            s.close()
