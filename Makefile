# Two commands do all the set-up on a fresh Debian or Ubuntu machine:
#   make demo   renders the built-in demo track to demo.mp4
#   make test   runs the test suite (headless: EGL, Xvfb, an ALSA file device)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SYSTEM_PACKAGES := portaudio19-dev libasound2-dev libegl1 libgl1 libegl-mesa0 libgl1-mesa-dri xvfb xauth xdotool iproute2 dbus-daemon avahi-daemon chromium chromium-driver

.PHONY: demo test fuzz live system clean

demo: $(STAMP)
	$(BIN)/visualizer render --demo -o demo.mp4

test: $(STAMP)
	$(BIN)/python -m pytest

# A long random fuzz campaign at every door (make test runs a short fixed pass).
fuzz: $(STAMP)
	VISUALIZER_FUZZ=campaign $(BIN)/python -m pytest -m fuzz -p no:cacheprovider

live: $(STAMP)
	$(BIN)/visualizer live --demo

# System libraries PyAudio and headless rendering need; installs only what is missing.
system:
	@PYTHON=$(PYTHON) ./scripts/system-deps.sh $(SYSTEM_PACKAGES)

$(STAMP): pyproject.toml scripts/system-deps.sh
	@$(MAKE) --no-print-directory system
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,cluster]'
	@touch $@

clean:
	rm -rf $(VENV) demo.mp4 .pytest_cache
