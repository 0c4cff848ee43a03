// Tessera's interactive player: plays the storyboard's scene clips, offers its choices at the
// end of a scene (the default one taken after a countdown), shows hotspots while they are
// live, lists chapters, links the call to action and shows captions. Served over HTTP, it
// tells the server what the viewer did (`POST event`); opened from disk, it tells no one.
// Customer text is only ever set as text, never as markup.
(function () {
  "use strict";
  var board = JSON.parse(document.getElementById("storyboard").textContent);
  var words = board.strings;
  var video = document.getElementById("video");
  var stage = document.getElementById("stage");
  var hotspotLayer = document.getElementById("hotspots");
  var choices = document.getElementById("choices");
  var choiceButtons = choices.querySelector(".buttons");
  var countdown = choices.querySelector(".countdown");
  var ending = document.getElementById("ending");
  var startButton = document.getElementById("start");
  var playButton = document.getElementById("play");
  var captionsButton = document.getElementById("captions");
  var action = document.getElementById("action");
  var chapterList = document.getElementById("chapters");
  var hosted = location.protocol === "http:" || location.protocol === "https:";
  var CHOICE_SECONDS = 10;
  var current = null;
  var timer = null;
  var completed = false;

  stage.style.aspectRatio = board.width + " / " + board.height;
  if (board.poster) video.poster = "poster.png";

  function record(kind, scene, target) {
    if (!hosted || !navigator.sendBeacon) return;
    var body = new URLSearchParams();
    body.set("kind", kind);
    if (scene) body.set("scene", scene);
    if (target) body.set("target", target);
    // A page that may not report (the app's preview refuses it) plays on regardless.
    try {
      navigator.sendBeacon("event", body);
    } catch (refused) {
      // nothing to do: the report is lost, the viewer's choice is not
    }
  }

  var track = video.addTextTrack("captions", words.captions, board.language);
  track.mode = "showing";
  function showCaptions(cues) {
    Array.prototype.slice.call(track.cues || []).forEach(function (cue) {
      track.removeCue(cue);
    });
    cues.forEach(function (cue) {
      if (cue.to > cue.from) track.addCue(new VTTCue(cue.from, cue.to, cue.text));
    });
  }
  captionsButton.addEventListener("click", function () {
    var on = track.mode !== "showing";
    track.mode = on ? "showing" : "hidden";
    captionsButton.setAttribute("aria-pressed", String(on));
  });

  function button(label, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function stopCountdown() {
    if (timer) clearInterval(timer);
    timer = null;
    countdown.textContent = "";
  }

  function play(id) {
    var scene = board.scenes[id];
    if (!scene) return;
    stopCountdown();
    choices.hidden = true;
    ending.hidden = true;
    startButton.hidden = true;
    current = id;
    video.src = scene.clip;
    showCaptions(scene.captions);
    showHotspots(scene);
    showAction(scene.action);
    markChapter(id);
    playButton.disabled = false;
    var playing = video.play();
    if (playing && playing.catch) {
      playing.catch(function () {
        startButton.hidden = false;
      });
    }
  }

  function showHotspots(scene) {
    hotspotLayer.textContent = "";
    scene.hotspots.forEach(function (spot) {
      var el;
      if (spot.scene) {
        el = button("", function () {
          record("hotspot", current, spot.scene);
          play(spot.scene);
        });
      } else {
        el = document.createElement("a");
        el.href = spot.url;
        el.target = "_blank";
        el.rel = "noopener noreferrer";
        el.addEventListener("click", function () {
          record("hotspot", current, "");
        });
      }
      el.className = "hotspot";
      el.setAttribute("aria-label", spot.label);
      el.title = spot.label;
      el.style.left = spot.left + "%";
      el.style.top = spot.top + "%";
      el.style.width = spot.width + "%";
      el.style.height = spot.height + "%";
      el.hidden = true;
      el.dataset.from = spot.from;
      el.dataset.to = spot.to;
      hotspotLayer.appendChild(el);
    });
  }

  video.addEventListener("timeupdate", function () {
    var t = video.currentTime;
    Array.prototype.forEach.call(hotspotLayer.children, function (el) {
      el.hidden = !(t >= Number(el.dataset.from) && t < Number(el.dataset.to));
    });
  });

  function showAction(cta) {
    action.hidden = !cta;
    if (!cta) return;
    action.textContent = cta.label;
    action.href = cta.url;
  }
  action.addEventListener("click", function () {
    record("call_to_action", current, "");
  });

  function offerChoices(scene) {
    choiceButtons.textContent = "";
    var fallback = scene.choices[0];
    scene.choices.forEach(function (choice) {
      if (choice.default) fallback = choice;
      var b = button(choice.label, function () {
        record("choice", current, choice.scene);
        play(choice.scene);
      });
      if (choice.default) b.className = "default";
      choiceButtons.appendChild(b);
    });
    choices.hidden = false;
    var focused = choiceButtons.querySelector(".default") || choiceButtons.firstChild;
    if (focused) focused.focus();
    var left = CHOICE_SECONDS;
    var tell = function () {
      countdown.textContent = words.countdown
        .replace("{label}", fallback.label)
        .replace("{seconds}", String(left));
    };
    tell();
    timer = setInterval(function () {
      left -= 1;
      if (left <= 0) return play(fallback.scene);
      tell();
    }, 1000);
  }

  video.addEventListener("ended", function () {
    var scene = board.scenes[current];
    if (!scene) return;
    Array.prototype.forEach.call(hotspotLayer.children, function (el) {
      el.hidden = true;
    });
    if (scene.choices.length) return offerChoices(scene);
    if (scene.next) return play(scene.next);
    ending.hidden = false;
    document.getElementById("replay").focus();
    if (!completed) record("complete", current, "");
    completed = true;
  });

  video.addEventListener("play", function () {
    playButton.textContent = words.pause;
  });
  video.addEventListener("pause", function () {
    playButton.textContent = words.play;
  });
  playButton.addEventListener("click", function () {
    if (video.paused && !video.ended) video.play();
    else video.pause();
  });

  function markChapter(id) {
    Array.prototype.forEach.call(chapterList.querySelectorAll("button"), function (b) {
      if (b.dataset.scene === id) b.setAttribute("aria-current", "true");
      else b.removeAttribute("aria-current");
    });
  }
  board.chapters.forEach(function (chapter) {
    var item = document.createElement("li");
    var b = button(chapter.title, function () {
      record("chapter", chapter.scene, "");
      play(chapter.scene);
    });
    b.dataset.scene = chapter.scene;
    item.appendChild(b);
    chapterList.appendChild(item);
  });
  document.getElementById("chapters-nav").hidden = board.chapters.length === 0;

  startButton.addEventListener("click", function () {
    record("play", board.start, "");
    play(board.start);
  });
  document.getElementById("replay").addEventListener("click", function () {
    play(board.start);
  });
})();
