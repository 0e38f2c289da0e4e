// Every piece of text the villager sees. `role` picks the size token; nothing else sets sizes.
import QtQuick

Text {
    property string role: "body"   // small | body | label | title
    readonly property int alignH: effectiveHorizontalAlignment   // for tests/kiosk/test_ui_targets.py
    readonly property int alignV: verticalAlignment
    font.pixelSize: role === "title" ? theme.titlePx : role === "label" ? theme.labelPx
                  : role === "small" ? theme.smallPx : theme.bodyPx
    font.family: "Noto Sans CJK SC"
    color: theme.color.ink
    wrapMode: Text.Wrap
    lineHeightMode: Text.ProportionalHeight
    lineHeight: 1.5
    horizontalAlignment: Text.AlignLeft
    verticalAlignment: Text.AlignVCenter
}
