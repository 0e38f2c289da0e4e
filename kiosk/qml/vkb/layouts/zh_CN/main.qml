// Large-key Pinyin layout (QT_VIRTUALKEYBOARD_LAYOUT_PATH points at kiosk/qml/vkb/layouts).
// Landscape: QWERTY, 10 keys a row (as on a phone's Pinyin keyboard), >= 190 px wide.
// Portrait (1080 px wide): 10 keys would be 108 px, under kiosk.md's 120/150 px, so the
// letters go in alphabet order, 7 a row, grouped as in the Pinyin alphabet song
// (a-g, h-n, o-t, u-z): >= 150 px wide. Elder landscape: 3 rows of 11 (174 px wide), the
// same keys with the function keys and punctuation at the row ends, so that 150 px tall keys
// still leave the text field room above the keyboard (docs/kiosk.md "Keyboard").
// Key heights come from theme.keyPx (style.qml), the row count from theme.keyRows.
import QtQuick
import QtQuick.Layouts
import QtQuick.VirtualKeyboard
import QtQuick.VirtualKeyboard.Components

KeyboardLayoutLoader {
    function createInputMethod() {
        return Qt.createQmlObject('import QtQuick; import QtQuick.VirtualKeyboard.Plugins; PinyinInputMethod {}', parent, "pinyin.qml")
    }
    sharedLayouts: ['symbols']
    sourceComponent: theme.portrait ? portrait : theme.on ? elderLandscape : landscape

    Component {
        id: landscape
        KeyboardLayout {
            keyWeight: 100
            KeyboardRow { Repeater { model: ["q", "w", "e", "r", "t", "y", "u", "i", "o", "p"]; LetterKey {} } }
            KeyboardRow {
                Repeater { model: ["a", "s", "d", "f", "g", "h", "j", "k", "l"]; LetterKey {} }
                BackspaceKey {}
            }
            KeyboardRow {
                Repeater { model: ["z", "x", "c", "v", "b", "n", "m"]; LetterKey {} }
                Key { key: Qt.Key_Apostrophe; text: "'"; enabled: InputContext.preeditText.length > 0 }
                Key { key: Qt.Key_Comma; text: "\uFF0C" }
                Key { key: Qt.Key_Period; text: "\u3002" }
            }
            KeyboardRow {
                SymbolModeKey { weight: 200; displayText: "符号" }
                SpaceKey { weight: 600 }
                HideKeyboardKey { weight: 200 }
            }
        }
    }

    Component {
        id: elderLandscape
        KeyboardLayout {
            keyWeight: 100
            KeyboardRow {
                Repeater { model: ["q", "w", "e", "r", "t", "y", "u", "i", "o", "p"]; LetterKey {} }
                BackspaceKey {}
            }
            KeyboardRow {
                Repeater { model: ["a", "s", "d", "f", "g", "h", "j", "k", "l"]; LetterKey {} }
                Key { key: Qt.Key_Comma; text: "\uFF0C" }
                Key { key: Qt.Key_Period; text: "\u3002" }
            }
            KeyboardRow {
                SymbolModeKey { displayText: "符号" }
                Repeater { model: ["z", "x", "c", "v", "b", "n", "m"]; LetterKey {} }
                Key { key: Qt.Key_Apostrophe; text: "'"; enabled: InputContext.preeditText.length > 0 }
                SpaceKey {}
                HideKeyboardKey {}
            }
        }
    }

    Component {
        id: portrait
        KeyboardLayout {
            keyWeight: 100
            KeyboardRow { Repeater { model: ["a", "b", "c", "d", "e", "f", "g"]; LetterKey {} } }
            KeyboardRow { Repeater { model: ["h", "i", "j", "k", "l", "m", "n"]; LetterKey {} } }
            KeyboardRow {
                Repeater { model: ["o", "p", "q", "r", "s", "t"]; LetterKey {} }
                BackspaceKey {}
            }
            KeyboardRow {
                Repeater { model: ["u", "v", "w", "x", "y", "z"]; LetterKey {} }
                Key { key: Qt.Key_Apostrophe; text: "'"; enabled: InputContext.preeditText.length > 0 }
            }
            KeyboardRow {
                SymbolModeKey { displayText: "符号" }
                Key { key: Qt.Key_Comma; text: "\uFF0C" }
                SpaceKey { weight: 300 }
                Key { key: Qt.Key_Period; text: "\u3002" }
                HideKeyboardKey {}
            }
        }
    }

    component LetterKey: Key {
        required property string modelData
        key: modelData.toUpperCase().charCodeAt(0)   // Qt.Key_A .. Qt.Key_Z are the ASCII capitals
        text: modelData
    }
}
