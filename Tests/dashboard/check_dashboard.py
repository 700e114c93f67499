#!/usr/bin/env python3
"""The dashboard at / in a real headless browser (Debian's chromium through
chromium-driver and selenium), against a live railyard-server and the test
PostgreSQL: it loads with no console errors, refuses a wrong token, lists
the migrations, follows a run started meanwhile to its end without a
reload, shows a failed run's file:line:column, starts a run from the page
with the admin token, is usable by keyboard and at 375 px wide.

Screenshots go to .build/test-artifacts/. Run by `make test`
(scripts/test-all.sh) inside scripts/with-test-postgres.sh; prints one line
per check and "N passed, M failed" at the end.
"""
import json
import sys
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reliability"))
import harness  # noqa: E402

ARTIFACTS = harness.ROOT / ".build" / "test-artifacts"
results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name + ("" if condition or not detail else f": {detail}"))


def eventually(condition, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except Exception:  # noqa: BLE001 - the page is changing under us
            pass
        time.sleep(0.1)
    return False


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def console_errors(driver, allowed=()):
    """Console errors since the last look, but those that contain one of `allowed`."""
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE" and not any(text in entry["message"] for text in allowed)]


def text(driver, element_id):
    return driver.find_element(By.ID, element_id).text


def step_statuses(driver):
    return [item.get_attribute("data-status") for item in driver.find_elements(By.CSS_SELECTOR, "#live-steps li")]


def main():
    cluster = harness.Cluster()
    database = cluster.fresh_database("dashboard")
    with harness.Workdir("dashboard") as workdir:
        folder = workdir / "migrations"
        folder.mkdir()
        (folder / "20260101000000_create_users.sql").write_text("CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n")
        (folder / "20260102000000_add_index.sql").write_text("CREATE INDEX users_email ON users (email);\n")
        server = harness.Server(cluster, database, folder, workdir, env={"RAILYARD_SSE_HEARTBEAT": "2"})
        subprocess_run = harness.Process([harness.SERVER, "migrate", "--dir", str(folder)],
                                         {"DATABASE_URL": cluster.url(database)}, workdir, "migrate")
        check("the first migrations apply", subprocess_run.finish(60) == 0, subprocess_run.output[-500:])
        base = f"http://127.0.0.1:{server.port}"
        driver = browser()
        try:
            exercise(driver, base, server, folder)
        finally:
            driver.quit()
            server.stop()
    cluster.drop_database(database)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if results and all(results) else 1


def exercise(driver, base, server, folder):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.get(base + "/")
    check("the page loads", driver.title == "Railyard")
    check("health shows without a token", eventually(lambda: "healthy" in text(driver, "health")), text(driver, "health"))
    errors = console_errors(driver)
    check("no console errors on load", errors == [], errors)
    sources = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    check("nothing is loaded from another host", all(name.startswith(base) for name in sources), sources)

    # A wrong token is refused, said so, and not kept.
    token = driver.find_element(By.ID, "token")
    check("the token field has the focus", driver.switch_to.active_element == token)
    token.send_keys("not-the-token", Keys.ENTER)
    check("a wrong token is refused", eventually(lambda: "refused" in text(driver, "login-error")), text(driver, "login-error"))
    check("the page stays on the token form", not driver.find_element(By.ID, "app").is_displayed())
    check("a refused token is not stored", driver.execute_script("return sessionStorage.getItem('railyard.token')") is None)
    # The browser reports the refused request itself; nothing else may fail.
    check("no console errors but the refused request", console_errors(driver, allowed=["401"]) == [])

    # The read token, typed and sent by keyboard.
    driver.find_element(By.ID, "token").send_keys(harness.READ_TOKEN, Keys.ENTER)
    check("the read token connects", eventually(lambda: driver.find_element(By.ID, "app").is_displayed()))
    check("the token is kept in sessionStorage",
          driver.execute_script("return sessionStorage.getItem('railyard.token')") == harness.READ_TOKEN)
    check("the token is in no URL or cookie",
          harness.READ_TOKEN not in driver.current_url and driver.get_cookies() == []
          and all(harness.READ_TOKEN not in name for name in driver.execute_script(
              "return performance.getEntriesByType('resource').map(e => e.name)")))
    rows = lambda: driver.find_elements(By.CSS_SELECTOR, "#migrations tbody tr:not(.lint-row)")  # noqa: E731
    check("the migrations of the live server are listed",
          eventually(lambda: [row.get_attribute("data-version") for row in rows()] == ["20260101000000", "20260102000000"]),
          [row.text for row in rows()])
    check("both are applied", all(row.get_attribute("data-status") == "applied" for row in rows()))
    check("the run history lists the first run", eventually(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#runs tbody tr")) >= 1))
    check("drift says it is not checked without schema.sql", eventually(lambda: "schema.sql" in text(driver, "drift")))

    # A run started elsewhere, while the page is open, followed to its end without reloading.
    (folder / "20260103000000_slow_backfill.sql").write_text("ALTER TABLE users ADD COLUMN name text;\nSELECT pg_sleep(2);\n")
    (folder / "20260104000000_add_orders.sql").write_text("CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);\n")
    time.sleep(1.1)  # the server looks at the folder at most once a second
    driver.execute_script("window.notReloaded = true")
    status, _, body = server.request("POST", "/api/runs", body="{}")
    check("a run starts through the API", status == 202, body)
    run_id = json.loads(body).get("id", "")
    check("the page shows that run", eventually(lambda: driver.find_element(By.ID, "live-run").get_attribute("data-id") == run_id))
    check("its steps tick while it runs", eventually(lambda: step_statuses(driver) == ["running", "pending"]), step_statuses(driver))
    check("and it is followed to its end", eventually(lambda: step_statuses(driver) == ["applied", "applied"]
                                                       and driver.find_element(By.ID, "live-run").get_attribute("data-status") == "succeeded"),
          step_statuses(driver))
    check("without a reload", driver.execute_script("return window.notReloaded === true"))
    check("the list shows the new migrations applied",
          eventually(lambda: [row.get_attribute("data-status") for row in rows()] == ["applied"] * 4), [row.text for row in rows()])
    check("the log tells the run", "run succeeded" in text(driver, "live-log"), text(driver, "live-log"))

    # Lint findings of a file, opened by keyboard.
    (folder / "20260105000000_broken.sql").write_text("CREATE TABLE audit (id bigint);\n\nINSERT INTO audit SELECT id, nonsense FROM users;\n")
    time.sleep(1.1)
    driver.find_element(By.ID, "sign-out").click()
    driver.find_element(By.ID, "token").send_keys(harness.ADMIN_TOKEN, Keys.ENTER)
    check("the admin token connects", eventually(lambda: any(row.get_attribute("data-status") == "pending" for row in rows())))
    pending = driver.find_element(By.CSS_SELECTOR, "#filters button[data-filter='pending']")
    pending.send_keys(Keys.ENTER)
    check("the status filter shows only pending files", eventually(lambda: [row.get_attribute("data-status") for row in rows()] == ["pending"]))
    check("the filter says it is pressed",
          driver.find_element(By.CSS_SELECTOR, "#filters button[data-filter='pending']").get_attribute("aria-pressed") == "true")
    lint = driver.find_element(By.CSS_SELECTOR, "#migrations tbody tr button")
    lint.send_keys(Keys.ENTER)
    check("a file's lint findings show", eventually(lambda: driver.find_element(By.CSS_SELECTOR, ".lint-row").is_displayed()))

    # A run started from the page fails, and the page says where.
    console_errors(driver)
    start = driver.find_element(By.ID, "start-run")
    start.send_keys(Keys.ENTER)
    check("the admin token starts a run from the page", eventually(lambda: "started" in text(driver, "action-message")), text(driver, "action-message"))
    check("the failed run is shown as failed", eventually(lambda: driver.find_element(By.ID, "live-run").get_attribute("data-status") == "failed"))
    error = text(driver, "live-error")
    check("with file:line:column and SQLSTATE", "20260105000000_broken.sql:3:" in error and "42703" in error, error)
    check("the history shows the failure", eventually(lambda: "20260105000000_broken.sql:3:" in text(driver, "runs")))
    errors = console_errors(driver)
    check("no console errors while following runs", errors == [], errors)
    driver.save_screenshot(str(ARTIFACTS / "dashboard.png"))

    # The admin token cancels a run from the page: its migration rolls back.
    (folder / "20260105000000_broken.sql").write_text("CREATE TABLE audit (id bigint);\nSELECT pg_sleep(30);\n")
    time.sleep(1.1)
    driver.find_element(By.ID, "start-run").send_keys(Keys.ENTER)
    check("a slow run is followed", eventually(lambda: step_statuses(driver) == ["running"]
                                                and driver.find_element(By.ID, "live-run").get_attribute("data-status") == "running"))
    cancel = driver.find_element(By.ID, "cancel-run")
    check("it can be cancelled", eventually(lambda: cancel.is_enabled()))
    cancel.send_keys(Keys.ENTER)
    check("the page shows it cancelled", eventually(lambda: driver.find_element(By.ID, "live-run").get_attribute("data-status") == "cancelled"),
          driver.find_element(By.ID, "live-run").get_attribute("data-status"))
    check("the history shows who cancelled it", eventually(lambda: "cancelled" in text(driver, "runs")))
    errors = console_errors(driver)
    check("no console errors while cancelling", errors == [], errors)

    # A phone's width: nothing wider than the screen, everything still reachable.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 375, "height": 812, "deviceScaleFactor": 2, "mobile": True})
    driver.get(base + "/")
    check("the page comes back with the token of this tab", eventually(lambda: driver.find_element(By.ID, "app").is_displayed()))
    check("it follows the stream again", eventually(lambda: len(rows()) == 5))
    width = driver.execute_script("return document.documentElement.scrollWidth")
    check("at 375 px the page is no wider than the screen", width <= 375, f"{width} px")
    buttons = driver.find_elements(By.CSS_SELECTOR, "#live button, #filters button")
    check("its buttons fit the screen", all(0 <= b.rect["x"] and b.rect["x"] + b.rect["width"] <= 375 for b in buttons),
          [(b.text, b.rect) for b in buttons])
    focusable = []
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    for _ in range(8):
        focusable.append(driver.switch_to.active_element.get_attribute("id") or driver.switch_to.active_element.text)
        driver.switch_to.active_element.send_keys(Keys.TAB)
    check("Tab reaches the run buttons", "start-run" in focusable and "dry-run" in focusable, focusable)
    driver.save_screenshot(str(ARTIFACTS / "dashboard-375.png"))
    errors = console_errors(driver)
    check("no console errors at 375 px", errors == [], errors)
    print(f"screenshots: {ARTIFACTS / 'dashboard.png'}, {ARTIFACTS / 'dashboard-375.png'}")


if __name__ == "__main__":
    sys.exit(main())
