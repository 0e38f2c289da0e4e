// The kiosk's keyboard: the tap-paged candidate bar (CandidateBar.qml) on top of Qt's
// InputPanel, whose keys come from our layouts and style (kiosk.services.keyboard.prepare).
// Main.qml places it like an InputPanel: set width and y, read `active` and the height.
import QtQuick
import QtQuick.VirtualKeyboard

Item {
    id: root
    property alias active: panel.active
    // The Pinyin engine asks for candidates; Latin-only fields (the lookup code) do not.
    readonly property bool candidatesShown: panel.active && InputContext.inputEngine.wordCandidateListVisibleHint
    height: (candidatesShown ? bar.height : 0) + panel.height

    CandidateBar {
        id: bar
        anchors { left: parent.left; right: parent.right; top: parent.top }
        visible: root.candidatesShown
    }
    InputPanel {
        id: panel
        anchors { left: parent.left; right: parent.right }
        y: root.candidatesShown ? bar.height : 0
    }
}
