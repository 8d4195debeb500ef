// Camera and microphone helpers: capture, level meter, test tone, lighting, browser support.
// Nothing here records: media only flows to <video> elements and peer connections.

let audioContext = null;

/** One AudioContext per page, created (or resumed) on a user gesture. */
export function audio() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return null;
  if (!audioContext) audioContext = new Context();
  if (audioContext.state === "suspended") audioContext.resume().catch(() => {});
  return audioContext;
}

export function browserSupport() {
  return {
    secure: window.isSecureContext === true,
    media: Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia),
    webrtc: typeof window.RTCPeerConnection === "function",
    audio: Boolean(window.AudioContext || window.webkitAudioContext),
  };
}

export function isSupported(support = browserSupport()) {
  return support.secure && support.media && support.webrtc;
}

/** Camera and microphone; resolves {stream} or {error: "denied"|"not_found"|"in_use"|"unsupported"|"failed"}. */
export async function openMedia() {
  if (!browserSupport().media) return { error: "unsupported" };
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" },
    });
    return { stream };
  } catch (error) {
    const byName = {
      NotAllowedError: "denied",
      SecurityError: "denied",
      NotFoundError: "not_found",
      OverconstrainedError: "not_found",
      NotReadableError: "in_use",
      AbortError: "in_use",
    };
    return { error: byName[error && error.name] || "failed" };
  }
}

export function stopMedia(stream) {
  if (stream) for (const track of stream.getTracks()) track.stop();
}

/** Calls `onLevel(0..1)` about ten times a second from the stream's microphone; returns stop(). */
export function levelMeter(stream, onLevel) {
  const context = audio();
  if (!context || !stream.getAudioTracks().length) return () => {};
  const source = context.createMediaStreamSource(stream);
  const analyser = context.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const value of samples) sum += value * value;
    const rms = Math.sqrt(sum / samples.length);
    onLevel(Math.min(1, rms * 4));
  }, 100);
  return () => {
    clearInterval(timer);
    source.disconnect();
  };
}

/** A soft two-note chime made with oscillators (no audio file). Resolves when it has played. */
export function playChime({ notes = [660, 523], length = 0.45, volume = 0.25 } = {}) {
  const context = audio();
  if (!context) return Promise.resolve(false);
  const start = context.currentTime + 0.05;
  notes.forEach((frequency, index) => {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    const at = start + index * length;
    oscillator.type = "sine";
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0, at);
    gain.gain.linearRampToValueAtTime(volume, at + 0.04);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + length);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(at);
    oscillator.stop(at + length + 0.05);
  });
  return new Promise((resolve) => setTimeout(() => resolve(true), (notes.length * length + 0.1) * 1000));
}

/** Average luminance 0..255 of the video's current frame, or null before a frame arrives. */
export function frameLuminance(video) {
  if (!video.videoWidth) return null;
  const canvas = document.createElement("canvas");
  canvas.width = 64;
  canvas.height = 48;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(video, 0, 0, canvas.width, canvas.height);
  const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
  let sum = 0;
  for (let i = 0; i < data.length; i += 4) sum += 0.2126 * data[i] + 0.7152 * data[i + 1] + 0.0722 * data[i + 2];
  return sum / (data.length / 4);
}

export const TOO_DARK = 50;

/** Attach a stream to a <video> and start it; muted autoplay always works, sound may need a click. */
export async function play(video, stream) {
  if (video.srcObject !== stream) video.srcObject = stream;
  try {
    await video.play();
    return true;
  } catch {
    return false;
  }
}
