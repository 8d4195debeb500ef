// Step 1, the device check: browser support, camera preview and lighting, microphone level,
// a test sound, and the connection test (echo.js). Owns the check's stream and its results.

import { setText, t } from "/common/i18n.js";
import { announce, byId } from "/common/dom.js";
import * as media from "/common/media.js";
import { showResult, testConnection } from "/guest/echo.js";

const fresh = () => ({ started: false, skipped: false, camera: null, light: null, mic: null, speaker: null, connection: null });

let check = fresh();
let stream = null;
let stopMeter = null;
let lightTimer = null;
let socketOf = () => null;

/**
 * Wire the check screen. `socket()` gives the page's socket (for the connection test);
 * `done()` runs when the guest goes on to their details, with or without a test.
 */
export function wireCheck({ socket, done }) {
  socketOf = socket;
  showSupport();
  byId("start-check").addEventListener("click", startCheck);
  byId("check-continue").addEventListener("click", () => finishCheck(false, done));
  byId("check-skip").addEventListener("click", () => finishCheck(true, done));
  byId("play-sound").addEventListener("click", playTestSound);
  byId("heard-yes").addEventListener("click", () => speakerAnswer(true));
  byId("heard-no").addEventListener("click", () => speakerAnswer(false));
  byId("retest-connection").addEventListener("click", connectionTest);
}

function showSupport() {
  const support = media.browserSupport();
  const result = byId("support-result");
  if (media.isSupported(support)) {
    result.className = "notice good";
    setText(result, "check.supported");
  } else {
    result.className = "notice bad";
    setText(result, support.secure ? "check.unsupported" : "check.insecure");
    byId("start-check").disabled = true;
  }
}

async function startCheck() {
  const button = byId("start-check");
  button.disabled = true;
  media.audio(); // created on this click, so that sound may play later
  check.started = true;
  const opened = await media.openMedia();
  const error = byId("media-error");
  if (opened.error) {
    check.camera = "failed";
    setText(error, `check.error.${opened.error}`);
    error.hidden = false;
    button.disabled = false;
    setText(button, "check.try_again");
    byId("check-continue").hidden = false;
    return;
  }
  error.hidden = true;
  byId("check-start-actions").hidden = true;
  byId("check-skip").hidden = true;
  stream = opened.stream;
  byId("check-results").hidden = false;
  const video = byId("check-video");
  await media.play(video, stream);
  watchCamera(video);
  stopMeter = media.levelMeter(stream, showLevel);
  byId("check-continue").hidden = false;
  announce(t("check.started"));
  connectionTest();
}

function showLevel(level) {
  byId("mic-meter").value = level;
  if (level > 0.04 && check.mic !== "ok") {
    check.mic = "ok";
    showResult("mic-result", "check.mic_ok", "ok");
  }
}

function watchCamera(video) {
  const sample = () => {
    const luminance = media.frameLuminance(video);
    if (luminance === null) return;
    if (check.camera !== "ok") {
      check.camera = "ok";
      showResult("camera-result", "check.camera_ok", "ok");
    }
    const dark = luminance < media.TOO_DARK;
    const light = dark ? "dark" : "ok";
    if (light !== check.light) {
      check.light = light;
      showResult("light-result", dark ? "check.light_dark" : "check.light_ok", dark ? "warn" : "ok");
      byId("light-advice").hidden = !dark;
    }
  };
  clearInterval(lightTimer);
  lightTimer = setInterval(sample, 1000);
  setTimeout(sample, 400);
}

async function playTestSound() {
  const button = byId("play-sound");
  button.disabled = true;
  await media.playChime();
  button.disabled = false;
  byId("speaker-question").hidden = false;
  byId("heard-yes").focus();
}

function speakerAnswer(heard) {
  check.speaker = heard ? "ok" : "no";
  showResult("speaker-result", heard ? "check.speaker_ok" : "check.speaker_no", heard ? "ok" : "warn");
  byId("speaker-advice").hidden = heard;
  byId("speaker-question").hidden = true;
  byId("play-sound").focus();
}

async function connectionTest() {
  const socket = socketOf();
  if (!stream || !socket) return;
  check.connection = await testConnection(stream, socket);
}

/** What the clinician sees of the check: skipped, unknown, failed, warnings or passed. */
export function deviceCheckSummary() {
  if (check.skipped) return "skipped";
  if (!check.started) return "unknown";
  if (check.camera === "failed" || !media.isSupported()) return "failed";
  const warnings = check.light === "dark" || check.speaker === "no" || check.mic !== "ok"
    || check.connection === "poor" || check.connection === "failed";
  return warnings ? "warnings" : "passed";
}

/** Let go of the camera and microphone and stop measuring. */
export function stopCheck() {
  if (stopMeter) stopMeter();
  stopMeter = null;
  clearInterval(lightTimer);
  byId("check-video").srcObject = null;
  media.stopMedia(stream);
  stream = null;
}

/** Back from the details: the test can be run again from the start. */
export function resetCheck() {
  check = fresh();
  byId("check-results").hidden = true;
  byId("check-start-actions").hidden = false;
  byId("check-skip").hidden = false;
  byId("check-continue").hidden = true;
  byId("media-error").hidden = true;
  byId("speaker-question").hidden = true;
  byId("speaker-advice").hidden = true;
  byId("light-advice").hidden = true;
  const start = byId("start-check");
  start.disabled = !media.isSupported();
  setText(start, "check.start");
  for (const [id, key] of [["camera-result", "check.waiting_result"], ["light-result", "check.waiting_result"],
    ["mic-result", "check.mic_speak"], ["speaker-result", "check.speaker_untested"], ["connection-result", "check.waiting_result"]]) {
    showResult(id, key, "");
  }
  byId("connection-detail").textContent = "";
}

function finishCheck(skipped, done) {
  check.skipped = skipped && !check.started;
  stopCheck();
  done();
}
