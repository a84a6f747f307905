"""Screenshots of the main pages per demo role (see scripts/screenshots.sh).

Reads the demo's account table (user name and one-time password per line),
logs in as each role's account in headless Chromium at 1366x768 and saves
`<role>-<page>.png` into the output directory. Exits non-zero when a page
does not load or shows an error page, so a broken page is noticed.
"""

import argparse
import os
import pathlib
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

# Role -> demo account (crates/aiwei/src/demo/texts.toml).
ACCOUNTS = {
    "intake": "jieting",
    "handler": "jingban",
    "dept_lead": "keshi",
    "leading_group": "lingdao",
    "supervisor": "duban",
    "auditor": "shenji",
    "admin": "admin",
}

# Role -> pages: (name, path). `{matter}` is the first matter of the
# role's work list (or of the ledger when the list is empty).
PAGES = {
    "intake": [
        ("work", "/work"),
        ("intake", "/intake"),
        ("ledger", "/ledger"),
        ("matter", "{matter}"),
        ("matter-related", "{matter}#related"),
        ("print", "{matter}/print"),
        ("notifications", "/notifications"),
        ("search", "/search?q=%E5%9E%83%E5%9C%BE%20%E6%B8%85%E8%BF%90"),
        ("intake-assist", "/intake"),
        ("knowledge", "/knowledge"),
        ("article", "{article}"),
        ("figures", "/figures"),
        ("staff-training", "/training"),
        ("staff-assessments", "/assessments"),
        ("callbacks", "/callbacks"),
    ],
    "handler": [
        ("work", "/work"),
        ("matter", "{matter}"),
        ("account", "/account"),
        ("article-edit", "{article}/edit"),
        ("ledger", "/ledger"),
        ("search", "/search?q=%E9%BC%A0"),
    ],
    "dept_lead": [
        ("work", "/work"),
        ("matter", "{matter}"),
        ("ledger", "/ledger?status=closed"),
        ("figures", "/figures"),
    ],
    "leading_group": [
        ("work", "/work"),
        ("search", "/search?q=%E5%9E%83%E5%9C%BE"),
        ("figures", "/figures"),
    ],
    "supervisor": [
        ("supervision", "/supervision"),
        ("hotspots", "/supervision#hotspots"),
        ("ledger", "/ledger?overdue=true"),
        ("article", "{article}"),
        ("article-diff", "{article}/diff"),
        ("search-articles", "/search?kind=article&sort=relevance&q=%E8%9A%8A%E5%AD%90"),
        ("figures", "/figures"),
        ("figures-counts", "/figures#counts"),
        ("figures-trend", "/figures#trend"),
        ("figures-shares", "/figures#shares"),
        ("figures-top", "/figures#top-problems"),
        ("figures-overdue", "/figures#overdue"),
        ("figures-quarter", "/figures?period=" + "{quarter}"),
        ("report-print", "/figures/print"),
        ("report-print-hotspots", "/figures/print#hotspots"),
        ("staff-training", "/training"),
        ("staff-assessments", "/assessments"),
    ],
    "auditor": [("audit", "/audit"), ("ledger", "/ledger")],
    "admin": [("status", "/admin"), ("users", "/admin/users"), ("routing", "/admin/routing"), ("policy", "/admin/policy"), ("policy-kpi", "/admin/policy#assessment-settings"), ("staff-import", "/admin/import"), ("notify", "/admin/notify"), ("notify-templates", "/admin/notify/templates?kind=deadline_overdue"), ("outbox", "/admin/outbox"), ("not-found", "/no-such-page")],
}


def read_accounts(path):
    """User name -> password from the demo's printed table."""
    found = {}
    for line in pathlib.Path(path).read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] in ACCOUNTS.values():
            found[parts[0]] = parts[2]
    missing = set(ACCOUNTS.values()) - set(found)
    if missing:
        sys.exit(f"no password for {sorted(missing)} in {path}")
    return found


def browser(chromium, chromedriver, profile):
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        # Date inputs and the like as an office in China sees them.
        "--lang=zh-CN",
        "--window-size=1366,768",
        f"--user-data-dir={profile}",
    ):
        opts.add_argument(arg)
    env = dict(os.environ, LANG="zh_CN.UTF-8", LANGUAGE="zh_CN:zh")
    d = webdriver.Chrome(service=Service(executable_path=chromedriver, env=env), options=opts)
    # The page area itself is 1366x768, as on the office's screens.
    d.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False},
    )
    return d


def log_in(d, base, user, password):
    d.delete_all_cookies()
    d.get(base + "/login")
    d.find_element(By.ID, "username").send_keys(user)
    d.find_element(By.ID, "password").send_keys(password)
    d.find_element(By.ID, "login-submit").click()
    WebDriverWait(d, 10).until(ec.presence_of_element_located((By.CSS_SELECTOR, "nav.side")))


def first_matter(d, base):
    for path in ("/work", "/ledger"):
        d.get(base + path)
        links = d.find_elements(By.CSS_SELECTOR, "main a[href^='/matters/AW']")
        if links:
            return links[0].get_attribute("href")
    return base + "/ledger"


def first_article(d, base):
    """The article with a pending edit, else the first of the list."""
    d.get(base + "/knowledge")
    rows = d.find_elements(By.CSS_SELECTOR, "#knowledge-table tbody tr")
    for row in rows:
        if "有待发布的修改" in row.text:
            return row.find_element(By.CSS_SELECTOR, "a").get_attribute("href")
    links = d.find_elements(By.CSS_SELECTOR, "#knowledge-table a[href^='/knowledge/']")
    return links[0].get_attribute("href") if links else base + "/knowledge"


def type_a_complaint(d):
    """What a clerk types, so the panel beside the form fills."""
    d.find_element(By.ID, "caller_phone").send_keys("13912345678")
    d.find_element(By.ID, "address").send_keys("幸福里小区东门")
    d.find_element(By.ID, "content").send_keys("家里发现很多蟑螂，想问怎么消杀比较安全，小区里老鼠也多")
    WebDriverWait(d, 10).until(
        lambda drv: drv.find_element(By.ID, "offers").text.strip() != ""
    )


def this_quarter():
    import datetime

    today = datetime.date.today()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--accounts", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--chromium", required=True)
    p.add_argument("--chromedriver", required=True)
    a = p.parse_args()
    passwords = read_accounts(a.accounts)
    out = pathlib.Path(a.out)
    problems = []
    with tempfile.TemporaryDirectory() as profile:
        d = browser(a.chromium, a.chromedriver, profile)
        try:
            # AIWEI_SHOTS=figures shoots only the pages whose file name
            # holds that text.
            only = os.environ.get("AIWEI_SHOTS", "")
            for role, pages in PAGES.items():
                pages = [(n, p) for n, p in pages if only in f"{role}-{n}"]
                if not pages:
                    continue
                user = ACCOUNTS[role]
                log_in(d, a.base, user, passwords[user])
                for name, path in pages:
                    if path.startswith("{matter}"):
                        url = first_matter(d, a.base) + path[len("{matter}"):]
                    elif path.startswith("{article}"):
                        url = first_article(d, a.base) + path[len("{article}"):]
                    else:
                        url = a.base + path.replace("{quarter}", this_quarter())
                    d.get(url)
                    WebDriverWait(d, 10).until(
                        lambda drv: drv.execute_script("return document.readyState") == "complete"
                    )
                    if name == "intake-assist":
                        type_a_complaint(d)
                    file = out / f"{role}-{name}.png"
                    d.save_screenshot(str(file))
                    title = d.title
                    expected_error = name == "not-found"
                    if not expected_error and ("404" in title or "500" in title or "403" in title):
                        problems.append(f"{file.name}: {title}")
                    print(f"    {file.name}  {title}")
        finally:
            d.quit()
    if problems:
        sys.exit("pages showing an error:\n  " + "\n  ".join(problems))


if __name__ == "__main__":
    main()
