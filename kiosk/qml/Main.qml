// The one window: top bar, the current screen (chosen by nav.view), caption bar, keyboard, overlays.
// Views bind to Python models only; no decision is made here.
import QtQuick
import QtQuick.Window
import QtQuick.VirtualKeyboard
import QtQuick.VirtualKeyboard.Settings
import "components"
import "vkb"

Window {
    id: window
    objectName: "window"
    width: 1920
    height: 1080
    visible: true
    color: theme.color.page
    title: "村便民服务站"

    readonly property bool keyboardUp: inputPanel.active
    // Portrait (1080x1920): the bars take two rows; screens decide their own layout from their size.
    readonly property bool portrait: height > width
    readonly property real barPad: (theme.barPx - theme.targetPx) / 2

    Binding { target: theme; property: "portrait"; value: window.portrait }

    Rectangle {
        id: topBar
        objectName: "topBar"
        anchors { left: parent.left; right: parent.right; top: parent.top }
        height: window.portrait ? theme.barPx + theme.targetPx + theme.gapPx : theme.barPx
        color: theme.color.bar
        Row {
            anchors { left: parent.left; leftMargin: theme.marginPx / 2; top: parent.top; topMargin: window.barPad }
            spacing: theme.gapPx
            KButton { objectName: "btnBack"; label: "返回"; fill: "slate"; visible: nav.canGoBack; onClicked: nav.back() }
            KButton { objectName: "btnHome"; label: "首页"; fill: "slate"; visible: nav.screen !== "home"; onClicked: nav.home() }
            KText {
                objectName: "title"
                role: "title"; text: nav.title; color: theme.color.onFill
                height: theme.targetPx; wrapMode: Text.NoWrap; lineHeight: 1.0
            }
        }
        Row {
            anchors { right: parent.right; rightMargin: theme.marginPx / 2; bottom: parent.bottom; bottomMargin: window.barPad }
            spacing: theme.gapPx
            KButton {
                objectName: "btnElder"
                label: theme.on ? "长辈模式：开" : "长辈模式：关"
                fill: theme.on ? "green" : "blue"
                Accessible.name: "长辈模式"
                onClicked: theme.toggle()
            }
            KButton { objectName: "btnHearAgain"; label: "再听一遍"; fill: "teal"; onClicked: voice.hearAgain() }
            KButton { objectName: "btnHelp"; label: "一键求助"; fill: "red"; onClicked: help.call() }
        }
    }

    // 代办: who is helping stays on screen at all times. While the keyboard is up the banner is a
    // slim strip (small text, no 退出代办 button, which comes back with the keyboard's 收起), so
    // that the focused field keeps its room above the keys (WCAG 2.4.11; docs/kiosk.md "Keyboard").
    Rectangle {
        id: assistedBanner
        objectName: "assistedBanner"
        readonly property bool slim: window.keyboardUp
        visible: assisted.active
        anchors { left: parent.left; right: parent.right; top: topBar.bottom; topMargin: visible && !slim ? theme.gapPx : 0 }
        height: !visible ? 0 : slim ? theme.smallPx * 1.5 : theme.targetPx
        color: theme.color.purple
        KText {
            objectName: "assistedBannerText"
            anchors { left: parent.left; leftMargin: theme.marginPx; verticalCenter: parent.verticalCenter }
            width: (assistOut.visible ? assistOut.x - theme.gapPx : parent.width - theme.marginPx) - x
            text: assisted.banner; color: theme.color.onFill; role: parent.slim ? "small" : "body"
            wrapMode: Text.NoWrap; elide: Text.ElideRight; lineHeight: parent.slim ? 1.0 : 1.5
        }
        KButton {
            id: assistOut
            objectName: "btnAssistOut"
            visible: !parent.slim
            anchors { right: parent.right; rightMargin: theme.marginPx; verticalCenter: parent.verticalCenter }
            height: parent.height; label: "退出代办"; fill: "brown"; onClicked: assisted.signOut("manual")
        }
    }

    // With the keyboard up the screen ends at its top edge; the vertical margins shrink (the one
    // above the keys stays a full gap between targets) so that the text step's prompt and field
    // fit above the keys also under the 代办 strip.
    Loader {
        id: screen
        objectName: "screenLoader"
        anchors {
            left: parent.left; right: parent.right; top: assistedBanner.bottom
            bottom: window.keyboardUp ? inputPanel.top : bottomBar.top
            leftMargin: theme.marginPx; rightMargin: theme.marginPx
            topMargin: window.keyboardUp ? theme.gapPx / 2 : theme.marginPx
            bottomMargin: window.keyboardUp ? theme.gapPx : theme.marginPx
        }
        source: nav.view
    }

    Rectangle {
        id: bottomBar
        objectName: "bottomBar"
        visible: !window.keyboardUp
        anchors { left: parent.left; right: parent.right; bottom: parent.bottom }
        height: window.portrait ? theme.targetPx + theme.smallPx * 1.5 + 2 * theme.gapPx : theme.targetPx + theme.gapPx
        color: theme.color.card
        KText {
            objectName: "caption"
            // Landscape: left of the buttons. Portrait: a full-width line above them.
            x: theme.marginPx
            y: window.portrait ? theme.gapPx / 2 : (parent.height - height) / 2
            width: (window.portrait ? parent.width : bottomButtons.x - theme.gapPx) - x
            height: theme.smallPx * 1.5
            role: "small"
            text: voice.caption !== "" ? "语音：" + voice.caption : status.place + "　" + status.text
            elide: Text.ElideRight; wrapMode: Text.NoWrap; lineHeight: 1.0
        }
        Row {
            id: bottomButtons
            anchors { right: parent.right; rightMargin: theme.marginPx / 2; bottom: parent.bottom; bottomMargin: theme.gapPx / 2 }
            spacing: theme.gapPx
            KButton { objectName: "btnQuieter"; label: "小声"; fill: "slate"; onClicked: voice.quieter() }
            KButton { objectName: "btnLouder"; label: "大声"; fill: "slate"; onClicked: voice.louder() }
            KButton {
                objectName: "btnAssist"; label: "代办"; fill: "purple"
                visible: !assisted.active && nav.screen === "home"
                onClicked: nav.go("assist")
            }
            KButton {
                objectName: "btnFinish"; label: "我办完了"; fill: "green"
                visible: session.active; onClicked: session.finish()
            }
        }
    }

    KioskInputPanel {   // Qt's InputPanel plus our tap-paged candidate bar
        id: inputPanel
        objectName: "inputPanel"
        z: 50
        y: active ? window.height - height : window.height
        anchors { left: parent.left; right: parent.right }
    }

    IdleWarning { anchors.fill: parent; z: 90; visible: idle.warning }
    HelpOverlay { anchors.fill: parent; z: 95; visible: help.open }

    Connections {
        target: session
        // Every trace off the screen: preedit, candidates and focus go with the villager.
        function onWiping() { Qt.inputMethod.reset() }
        function onWiped() {
            Qt.inputMethod.reset()
            Qt.inputMethod.hide()
            window.contentItem.forceActiveFocus()
        }
    }

    Component.onCompleted: {
        VirtualKeyboardSettings.activeLocales = ["zh_CN", "en_US"]
        VirtualKeyboardSettings.locale = "zh_CN"
        VirtualKeyboardSettings.wordCandidateList.alwaysVisible = true
    }
}
