// 代办登录: the helper types a staff code on the keypad; it is shown as dots and never spoken.
import QtQuick
import QtQuick.Layouts
import "../components"

GridLayout {
    objectName: "assistScreen"
    columns: theme.portrait ? 1 : 2
    rowSpacing: theme.marginPx; columnSpacing: theme.marginPx
    Keypad {
        Layout.alignment: Qt.AlignTop
        Layout.row: theme.portrait ? 1 : 0; Layout.column: 0
        onDigit: (d) => assisted.press(d)
        onErase: assisted.erase()
    }
    ColumnLayout {
        Layout.row: 0; Layout.column: theme.portrait ? 0 : 1
        Layout.fillWidth: true; Layout.alignment: Qt.AlignTop
        spacing: theme.gapPx
        KText { Layout.fillWidth: true; text: assisted.message !== "" ? assisted.message : "代办员请输入工作码：" }
        KText { objectName: "assistCode"; role: "title"; text: assisted.code !== "" ? assisted.code : "　" }
        KButton { objectName: "btnSignIn"; label: "登录"; fill: "green"; onClicked: assisted.signIn() }
    }
}
