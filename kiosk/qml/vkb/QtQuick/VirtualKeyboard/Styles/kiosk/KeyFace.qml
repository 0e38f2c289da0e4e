// One key of the kiosk keyboard: the whole key is the touch target (measured by
// tests/kiosk/test_ui_targets.py through isKey); words, not icons, on function keys.
import QtQuick
import QtQuick.VirtualKeyboard.Styles
import "../../../../../components"

KeyPanel {
    id: face
    property string label: control ? control.displayText : ""
    property bool functional: false
    readonly property bool isKey: true
    readonly property bool down: control !== null && control.pressed

    Rectangle {
        id: background
        anchors { fill: parent; margins: theme.keyGapPx / 2 }
        radius: 10
        color: face.down ? theme.color.blue : (face.functional ? theme.color.slate : theme.keyFill)
        border.width: face.down ? 6 : 0
        border.color: theme.color.onFill
        KText {
            anchors.centerIn: parent
            role: "label"
            text: face.label
            font.pixelSize: theme.keyLabelPx
            font.capitalization: face.control && face.control.uppercased ? Font.AllUppercase : Font.MixedCase
            color: theme.color.onFill
            opacity: face.control && !face.control.enabled ? 0.4 : 1.0   // inactive: dimmed, cannot be pressed
            wrapMode: Text.NoWrap
            lineHeight: 1.0
        }
    }
}
