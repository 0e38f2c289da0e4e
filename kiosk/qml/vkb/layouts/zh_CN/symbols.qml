// Digits and Chinese punctuation for the large-key layout; 拼音 goes back to the letters.
import QtQuick
import QtQuick.Layouts
import QtQuick.VirtualKeyboard
import QtQuick.VirtualKeyboard.Components

KeyboardLayoutLoader {
    function createInputMethod() {
        return Qt.createQmlObject('import QtQuick; import QtQuick.VirtualKeyboard.Plugins; PinyinInputMethod {}', parent, "pinyinSymbols.qml")
    }
    sharedLayouts: ['main']
    sourceComponent: theme.portrait ? portrait : theme.on ? elderLandscape : landscape

    Component {
        id: landscape
        KeyboardLayout {
            keyWeight: 100
            KeyboardRow { Repeater { model: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"]; CharKey {} } }
            KeyboardRow {
                Repeater { model: ["\uFF0C", "\u3002", "\uFF1F", "\uFF01", "\u3001", "\uFF1A", "\uFF1B", "\u201C", "\u201D"]; CharKey {} }
                BackspaceKey {}
            }
            KeyboardRow { Repeater { model: ["\uFF08", "\uFF09", "\u300A", "\u300B", "\u2026", "\u2014", "\uFFE5", "%", "@", "#"]; CharKey {} } }
            KeyboardRow {
                SymbolModeKey { weight: 200; displayText: "拼音" }
                SpaceKey { weight: 600 }
                HideKeyboardKey { weight: 200 }
            }
        }
    }

    Component {
        id: elderLandscape   // 3 rows of 11, as in main.qml
        KeyboardLayout {
            keyWeight: 100
            KeyboardRow {
                Repeater { model: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"]; CharKey {} }
                BackspaceKey {}
            }
            KeyboardRow {
                Repeater { model: ["\uFF0C", "\u3002", "\uFF1F", "\uFF01", "\u3001", "\uFF1A", "\uFF1B", "\u201C", "\u201D", "\uFF08", "\uFF09"]; CharKey {} }
            }
            KeyboardRow {
                SymbolModeKey { displayText: "拼音" }
                Repeater { model: ["\u300A", "\u300B", "\u2026", "\u2014", "\uFFE5", "%", "@", "#"]; CharKey {} }
                SpaceKey {}
                HideKeyboardKey {}
            }
        }
    }

    Component {
        id: portrait
        KeyboardLayout {
            keyWeight: 100
            KeyboardRow { Repeater { model: ["1", "2", "3", "4", "5", "6", "7"]; CharKey {} } }
            KeyboardRow { Repeater { model: ["8", "9", "0", "\uFF0C", "\u3002", "\uFF1F", "\uFF01"]; CharKey {} } }
            KeyboardRow {
                Repeater { model: ["\u3001", "\uFF1A", "\uFF1B", "\u201C", "\u201D", "\uFF08"]; CharKey {} }
                BackspaceKey {}
            }
            KeyboardRow { Repeater { model: ["\uFF09", "\u300A", "\u300B", "\u2026", "\u2014", "\uFFE5", "%"]; CharKey {} } }
            KeyboardRow {
                SymbolModeKey { weight: 200; displayText: "拼音" }
                SpaceKey { weight: 300 }
                HideKeyboardKey { weight: 200 }
            }
        }
    }

    component CharKey: Key {
        required property string modelData
        text: modelData
    }
}
