// The kiosk's keyboard: the tap-paged candidate bar (CandidateBar.qml) on top of Qt's
// InputPanel, whose keys come from our layouts and style (kiosk.services.keyboard.prepare).
// Main.qml places it like an InputPanel: set width and y, read `active` and the height.
import QtQuick
import QtQuick.VirtualKeyboard

Item {
    id: root
    property alias active: panel.active
    // The bar shows while the focused field composes Chinese, and whenever there are
    // candidates. Not wordCandidateListVisibleHint: the Pinyin input method offers its list
    // in every mode, so the hint is true on the Latin-only lookup code too, where no
    // candidate can come; there the bar and its height go. In Pinyin mode it stays even when
    // empty (before the first letter, after a choice, on the 符号 page, which keeps the mode),
    // so the keys and the field above do not jump a row at each syllable.
    readonly property bool composesChinese: InputContext.inputEngine.inputMode === InputEngine.InputMode.Pinyin
    readonly property bool candidatesShown: panel.active && (composesChinese || bar.model.count > 0)
    height: (candidatesShown ? bar.height : 0) + panel.height

    CandidateBar {
        id: bar
        anchors { left: parent.left; right: parent.right; top: parent.top }
        visible: root.candidatesShown
    }
    InputPanel {
        id: panel
        objectName: "keysPanel"
        anchors { left: parent.left; right: parent.right }
        y: root.candidatesShown ? bar.height : 0
    }
}
