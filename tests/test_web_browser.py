"""The web remote in a real browser: Debian's headless Chromium, driven by
Selenium through Debian's chromedriver, at a phone's size, against a live
show whose window is on Xvfb. A look button, an effect's switch, a scene tile, a slider and the blackout button
change the show (its state, and the live window's picture), and the page
finds the show again after a restart. The page is saved as a PNG at
390x844 (``remote-390x844.png`` in the test's temporary folder)."""

import os
import re
import subprocess

import numpy as np
import pytest

from conftest import wait_for_window
from web_rig import end_show, free_port, start_show, state, wait_for

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
PHONE = (390, 844)

if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
    pytest.skip("needs Debian's chromium and chromium-driver (make system installs them)",
                allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (pip: .[test])")
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402


@pytest.fixture
def phone():
    """Headless Chromium as a 390x844 touch phone."""
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    options.add_experimental_option("mobileEmulation", {"deviceMetrics": {
        "width": PHONE[0], "height": PHONE[1], "pixelRatio": 1.0, "touch": True}})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _page(driver, script: str):
    return driver.execute_script(script)


def _connected(driver) -> bool:
    return _page(driver, "return document.getElementById('link').classList.contains('on')")


def _window_picture(display: str) -> np.ndarray:
    """The live window's pixels as the X server has them, (h, w, 3)."""
    from PIL import ImageGrab
    window = wait_for_window(display)
    geometry = subprocess.run(["xdotool", "getwindowgeometry", "--shell", window],
                              env=dict(os.environ, DISPLAY=display), capture_output=True,
                              text=True, check=True).stdout
    g = dict(line.split("=") for line in geometry.split())
    x, y, w, h = (int(g[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))
    screen = ImageGrab.grab(xdisplay=display)
    return np.asarray(screen.convert("RGB"))[y:y + h, x:x + w].astype(np.int16)


def _escape(display: str) -> None:
    window = wait_for_window(display)
    subprocess.run(["xdotool", "key", "--window", window, "Escape"],
                   env=dict(os.environ, DISPLAY=display), check=True)


def test_a_phone_drives_the_live_window(xdisplay, phone, tmp_path):
    port = free_port()
    proc = start_show(port, "--fixed-scale", display=xdisplay)
    try:
        first = wait_for(lambda: state(port), timeout=60)
        phone.get(f"http://127.0.0.1:{port}/")
        assert _page(phone, "return [innerWidth, innerHeight]") == list(PHONE)
        wait_for(lambda: _connected(phone), timeout=15)
        tiles = phone.find_elements(By.CSS_SELECTOR, ".tile")
        assert [t.get_attribute("data-key") for t in tiles] == first["scenes"]
        wait_for(lambda: _page(phone, "return [...document.querySelectorAll('.tile img')]"
                                      ".every(i => i.naturalWidth > 0)"), timeout=120)
        before = _window_picture(xdisplay)
        assert before.mean() > 5   # the show, not black

        # The scene's looks are buttons: one press crossfades the show into it.
        assert ([b.get_attribute("data-look") for b in
                 phone.find_elements(By.CSS_SELECTOR, "#looks .look")] == first["looks"])
        _page(phone, "document.getElementById('looks').scrollIntoView({block: 'center'})")
        look = phone.find_element(By.CSS_SELECTOR, '#looks .look[data-look="ember"]')
        look.click()
        wait_for(lambda: state(port)["look"] == "ember", timeout=15)
        wait_for(lambda: "on" in look.get_attribute("class"), timeout=5)

        # Each effect is a switch: one press puts it on the program.
        _page(phone, "document.getElementById('effects').scrollIntoView({block: 'center'})")
        glow = phone.find_element(By.CSS_SELECTOR, '#effects .fx[data-fx="glow"]')
        glow.click()
        wait_for(lambda: state(port)["fx"] == ["glow"], timeout=15)
        wait_for(lambda: "on" in glow.get_attribute("class"), timeout=5)
        knob = wait_for(lambda: phone.find_elements(
            By.CSS_SELECTOR, '#fx-params .fx-group[data-fx="glow"] input[type=range]'), timeout=5)[0]
        _page(phone, "document.getElementById('fx-params').scrollIntoView({block: 'center'})")
        ActionChains(phone).click_and_hold(knob).move_by_offset(
            knob.size["width"] // 2 + 20, 0).release().perform()   # all the way up
        top = float(knob.get_attribute("max"))
        wait_for(lambda: state(port)["fx_params"]["glow"][0]["value"] == top, timeout=5)
        phone.find_element(By.CSS_SELECTOR,
                           '#fx-params .fx-group[data-fx="glow"] .look[data-look="haze"]').click()
        wait_for(lambda: state(port)["fx_looks"]["glow"]["look"] == "haze", timeout=5)

        phone.find_element(By.CSS_SELECTOR, '.tile[data-key="club"]').click()
        wait_for(lambda: state(port)["scene"] == "club", timeout=15)
        wait_for(lambda: phone.find_element(By.CSS_SELECTOR, ".tile.current")
                 .get_attribute("data-key") == "club", timeout=5)
        assert phone.find_element(By.ID, "scene-name").text == "Club"

        slider = wait_for(lambda: phone.find_elements(By.CSS_SELECTOR, "#params input[type=range]"),
                          timeout=5)[0]
        name = slider.find_element(By.XPATH, "..").get_attribute("data-name")
        _page(phone, "arguments[0].scrollIntoView({block: 'center'})".replace(
            "arguments[0]", "document.querySelector('#params input[type=range]')"))
        low = float(slider.get_attribute("min"))
        ActionChains(phone).click_and_hold(slider).move_by_offset(
            -slider.size["width"] // 2 - 20, 0).release().perform()   # all the way down
        wait_for(lambda: {p["name"]: p["value"] for p in state(port)["params"]}[name] == low,
                 timeout=5)

        phone.find_element(By.ID, "blackout").click()
        wait_for(lambda: state(port)["blackout"], timeout=5)
        wait_for(lambda: "on" in phone.find_element(By.ID, "blackout").get_attribute("class"),
                 timeout=5)
        wait_for(lambda: _window_picture(xdisplay).max() <= 2, timeout=5)   # faded to black
        shot = tmp_path / "remote-390x844.png"
        phone.save_screenshot(str(shot))
        from PIL import Image
        assert Image.open(shot).size == PHONE
        _escape(xdisplay)
        proc.wait(timeout=30)   # Esc closes the window as a performer would
        code, out, err = end_show(proc)
    finally:
        end_show(proc)
    assert code == 0, err
    applied = re.search(r"(\d+) control commands applied \(\1 from web\)", out)
    assert applied and int(applied.group(1)) >= 3, out   # a tile, a slider's moves, blackout


def test_the_page_finds_the_show_again_after_a_restart(phone):
    port = free_port()
    proc = start_show(port)
    try:
        wait_for(lambda: state(port), timeout=60)
        phone.get(f"http://127.0.0.1:{port}/")
        wait_for(lambda: _connected(phone), timeout=15)
        assert phone.find_element(By.ID, "scene-name").text == "Vortex"
    finally:
        end_show(proc)
    wait_for(lambda: not _connected(phone), timeout=10)
    assert phone.find_element(By.ID, "banner").is_displayed()   # "reconnecting to the show"
    proc = start_show(port, "--scene", "night")
    try:
        wait_for(lambda: _connected(phone) and
                 phone.find_element(By.ID, "scene-name").text == "Night", timeout=60)
        assert not phone.find_element(By.ID, "banner").is_displayed()
        phone.find_element(By.ID, "freeze").click()   # and it drives the new show
        wait_for(lambda: state(port)["freeze"], timeout=5)
    finally:
        code, out, err = end_show(proc)
    assert code == 0, err
    assert "1 control commands applied (1 from web)" in out
