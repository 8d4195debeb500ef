// The connection test: our media goes to the server's echo peer over the same ICE path as the
// call and comes back; round-trip time and packet loss are shown. Nothing is stored.

import { formatNumber, setText } from "/common/i18n.js";
import { byId } from "/common/dom.js";
import { request } from "/common/socket.js";
import * as media from "/common/media.js";

const ECHO_SECONDS = 5;
const GOOD_RTT_MS = 400;
const GOOD_LOSS = 0.05;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A check result line: its text by key and its tone ("ok", "warn", "bad" or none). */
export function showResult(id, key, tone) {
  const element = byId(id);
  setText(element, key);
  element.className = tone === "ok" ? "status-ok" : tone === "warn" ? "status-warn" : tone === "bad" ? "status-bad" : "";
}

/** Run the test and show how it went; resolves "ok", "poor", "failed" or "unavailable". */
export async function testConnection(stream, socket) {
  const retest = byId("retest-connection");
  retest.hidden = true;
  showResult("connection-result", "check.connection_testing", "");
  setText(byId("connection-detail"), "check.connection_wait");
  const outcome = await roundTrip(stream, socket);
  if (outcome.refused) {
    const busy = outcome.refused === "busy";
    showResult("connection-result", busy ? "check.connection_busy" : "check.connection_unavailable", "");
    setText(byId("connection-detail"), busy ? "check.connection_busy_text" : "check.connection_unavailable_text");
    retest.hidden = !busy;
    return "unavailable";
  }
  retest.hidden = false;
  return showStats(outcome.stats);
}

/** Resolves {stats} (null when it failed) or {refused: the server's error code}. */
async function roundTrip(stream, socket) {
  const pc = new RTCPeerConnection({ iceServers: [] });
  let stats = null;
  try {
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    pc.ontrack = ({ streams }) => {
      if (streams[0]) {
        byId("echo-tile").hidden = false;
        media.play(byId("echo-video"), streams[0]);
      }
    };
    await pc.setLocalDescription(await pc.createOffer());
    await waitForIce(pc, 3000);
    const ack = await request(socket, "echo_start", { description: { type: "offer", sdp: pc.localDescription.sdp } }, 15000);
    if (!ack.ok) return { refused: ack.error };
    await pc.setRemoteDescription(ack.description);
    for (let second = 0; second < ECHO_SECONDS; second += 1) {
      await sleep(1000);
      const answer = await request(socket, "echo_stats", undefined, 5000);
      if (answer.ok) stats = answer;
    }
  } catch {
    stats = null;
  } finally {
    pc.close();
    byId("echo-tile").hidden = true;
    byId("echo-video").srcObject = null;
    request(socket, "echo_stop", undefined, 5000);
  }
  return { stats };
}

function waitForIce(pc, ms) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState === "complete") resolve();
    };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, ms);
  });
}

function showStats(stats) {
  if (!stats || stats.state !== "connected" && stats.rtt_ms == null) {
    showResult("connection-result", "check.connection_failed", "warn");
    setText(byId("connection-detail"), "check.connection_failed_text");
    return "failed";
  }
  const rtt = typeof stats.rtt_ms === "number" ? stats.rtt_ms : null;
  const loss = typeof stats.packet_loss === "number" ? stats.packet_loss : 0;
  const good = (rtt === null || rtt < GOOD_RTT_MS) && loss < GOOD_LOSS;
  showResult("connection-result", good ? "check.connection_good" : "check.connection_poor", good ? "ok" : "warn");
  setText(byId("connection-detail"), "check.connection_numbers", {
    rtt: rtt === null ? "–" : formatNumber(rtt),
    loss: formatNumber(loss * 100, 1),
  });
  return good ? "ok" : "poor";
}
