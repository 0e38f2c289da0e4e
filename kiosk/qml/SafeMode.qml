// Safe mode: shown when the config is broken, so the unit does not crash-loop and staff see why.
import QtQuick
import QtQuick.Window

Window {
    width: 1920; height: 1080; visible: true; color: "#263238"
    Column {
        anchors.centerIn: parent
        spacing: 40
        Text { text: "设备维护中，请找村干部"; color: "white"; font.pixelSize: 72; font.family: "Noto Sans CJK SC" }
        Text { text: "配置文件有误（详见日志）"; color: "white"; font.pixelSize: 40; font.family: "Noto Sans CJK SC" }
        Text { text: safeError; color: "white"; font.pixelSize: 28; width: 1600; wrapMode: Text.Wrap }
    }
}
