/*
 * svg.js - the one SVG element builder the report and course pages share
 * (plain JS, no framework): havenSvg('rect', {x: 0, y: 0}, 'text').  Loaded
 * before each page's own script (both deferred, so in order).
 */
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';

  window.havenSvg = function (tag, attrs, text) {
    var el = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) el.textContent = text;
    return el;
  };
}());
