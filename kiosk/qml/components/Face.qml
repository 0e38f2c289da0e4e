// A drawn face for the 5-level rating (no emoji font needed); the mouth follows the score.
import QtQuick

Canvas {
    id: face
    property int score: 3
    property color ink: "white"
    onScoreChanged: requestPaint()
    onInkChanged: requestPaint()
    onWidthChanged: requestPaint()
    onPaint: {
        var ctx = getContext("2d"); var w = width, h = height, r = Math.min(w, h) / 2 - 6
        ctx.reset(); ctx.strokeStyle = ink; ctx.fillStyle = ink; ctx.lineWidth = 6
        ctx.beginPath(); ctx.arc(w / 2, h / 2, r, 0, 2 * Math.PI); ctx.stroke()
        ctx.beginPath(); ctx.arc(w / 2 - r / 3, h / 2 - r / 4, r / 9, 0, 2 * Math.PI); ctx.fill()
        ctx.beginPath(); ctx.arc(w / 2 + r / 3, h / 2 - r / 4, r / 9, 0, 2 * Math.PI); ctx.fill()
        var bend = (score - 3) * r / 6
        ctx.beginPath(); ctx.moveTo(w / 2 - r / 2, h / 2 + r / 3)
        ctx.quadraticCurveTo(w / 2, h / 2 + r / 3 + bend, w / 2 + r / 2, h / 2 + r / 3); ctx.stroke()
    }
}
