/* Checks a task's published draw in the browser (ssj-draw/1 §4–5): the seed from the revealed inputs and
   each published entity's ticket. Plain SHA-256 in JavaScript: crypto.subtle needs HTTPS, an intranet may not. */
(function () {
  "use strict";
  var K = [0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,0xe49b69c1,0xefbe4786,0x0fc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,0x5cb0a9dc,0x76f988da,0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,0x06ca6351,0x14292967,0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,0x81c2c92e,0x92722c85,0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,0x5b9cca4f,0x682e6ff3,0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2];
  function sha256(bytes) {
    var h = [0x6a09e667,0xbb67ae85,0x3c6ef372,0xa54ff53a,0x510e527f,0x9b05688c,0x1f83d9ab,0x5be0cd19];
    var len = bytes.length, total = ((len + 9 + 63) >> 6) << 6, m = new Uint8Array(total), w = new Array(64), i, j;
    m.set(bytes); m[len] = 0x80;
    var bits = len * 8;
    for (i = 0; i < 4; i++) { m[total - 1 - i] = (bits >>> (8 * i)) & 0xff; }
    m[total - 5] = Math.floor(len / 0x20000000) & 0xff;
    for (var off = 0; off < total; off += 64) {
      for (i = 0; i < 16; i++) { w[i] = (m[off+4*i] << 24) | (m[off+4*i+1] << 16) | (m[off+4*i+2] << 8) | m[off+4*i+3]; }
      for (i = 16; i < 64; i++) {
        var a = w[i-15], b = w[i-2];
        var s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
        var s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
        w[i] = (w[i-16] + s0 + w[i-7] + s1) | 0;
      }
      var A = h[0], B = h[1], C = h[2], D = h[3], E = h[4], F = h[5], G = h[6], H = h[7];
      for (j = 0; j < 64; j++) {
        var S1 = ((E >>> 6) | (E << 26)) ^ ((E >>> 11) | (E << 21)) ^ ((E >>> 25) | (E << 7));
        var t1 = (H + S1 + ((E & F) ^ (~E & G)) + K[j] + w[j]) | 0;
        var S0 = ((A >>> 2) | (A << 30)) ^ ((A >>> 13) | (A << 19)) ^ ((A >>> 22) | (A << 10));
        var t2 = (S0 + ((A & B) ^ (A & C) ^ (B & C))) | 0;
        H = G; G = F; F = E; E = (D + t1) | 0; D = C; C = B; B = A; A = (t1 + t2) | 0;
      }
      h[0] = (h[0] + A) | 0; h[1] = (h[1] + B) | 0; h[2] = (h[2] + C) | 0; h[3] = (h[3] + D) | 0;
      h[4] = (h[4] + E) | 0; h[5] = (h[5] + F) | 0; h[6] = (h[6] + G) | 0; h[7] = (h[7] + H) | 0;
    }
    var out = new Uint8Array(32);
    for (i = 0; i < 8; i++) { out[4*i] = h[i] >>> 24; out[4*i+1] = (h[i] >>> 16) & 0xff; out[4*i+2] = (h[i] >>> 8) & 0xff; out[4*i+3] = h[i] & 0xff; }
    return out;
  }
  function hex(b) { var s = ""; for (var i = 0; i < b.length; i++) { s += (b[i] < 16 ? "0" : "") + b[i].toString(16); } return s; }
  function unhex(s) { var b = new Uint8Array(s.length / 2); for (var i = 0; i < b.length; i++) { b[i] = parseInt(s.substr(2*i, 2), 16); } return b; }
  function utf8(s) { return new TextEncoder().encode(s); }
  function concat(parts) { var n = 0, i; for (i = 0; i < parts.length; i++) { n += parts[i].length; } var out = new Uint8Array(n), o = 0; for (i = 0; i < parts.length; i++) { out.set(parts[i], o); o += parts[i].length; } return out; }
  window.ssjSha256Hex = function (text) { return hex(sha256(utf8(text))); };

  function check(data, report) {
    var lines = [], ok = true;
    var r = data.reveal;
    if (!r) { report(["尚未公开种子的输入：本任务的检查结果全部公示后公开，届时即可核验。"], null); return; }
    var seed = sha256(concat([utf8("ssj-draw/1"), new Uint8Array([0]), unhex(r.commitment_sha256), unhex(r.server_nonce), utf8(r.ceremony_entropy.normalize("NFC"))]));
    if (hex(seed) === r.seed) { lines.push("✓ 种子 = SHA-256(协议名 ‖ 承诺摘要 ‖ 服务器随机数 ‖ 现场随机数)，与公布的种子一致。"); }
    else { ok = false; lines.push("✗ 由公开输入计算出的种子 " + hex(seed) + " 与公布的种子不一致。"); }
    var bad = 0;
    data.selected.forEach(function (e) {
      var t = hex(sha256(concat([seed, utf8("obj"), new Uint8Array([0]), utf8(e.key)])));
      if (t !== e.ticket) { bad++; ok = false; lines.push("✗ " + e.name + "（" + e.key + "）的抽签值不符。"); }
    });
    lines.push((bad ? "✗ " : "✓ ") + data.selected.length + " 个已公示对象中，" + (data.selected.length - bad) + " 个抽签值与种子计算结果一致。");
    report(lines, ok);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("verify-run");
    if (!button) { return; }
    button.addEventListener("click", function () {
      var out = document.getElementById("verify-output");
      out.textContent = "正在核验…";
      fetch(button.getAttribute("data-url")).then(function (r) { return r.json(); }).then(function (data) {
        check(data, function (lines, ok) {
          out.textContent = "";
          lines.forEach(function (line) { var p = document.createElement("p"); p.textContent = line; out.appendChild(p); });
          out.className = ok === null ? "panel" : ok ? "panel ok" : "panel bad";
          out.setAttribute("data-result", ok === null ? "pending" : ok ? "ok" : "failed");
        });
      }).catch(function () { out.textContent = "无法读取公开数据，请稍后再试。"; });
    });
  });
}());
